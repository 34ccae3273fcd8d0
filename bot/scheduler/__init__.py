"""The persistent scheduler: runs the `jobs` table (prompts, rounds, reminders, DMs).

`dispatcher.Dispatcher` is the loop; `handlers.HANDLERS` what each kind of job does;
`jobs.add_job` the one way to write a job.
"""
