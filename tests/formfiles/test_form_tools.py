"""Each form tool's export through `matchmaker match`, end to end: the mapping printed, the
pairs produced and intros.md; ambiguous columns, the proposed mapping and the rerun; bad
cells. The fixtures are written in each tool's documented export shape (fixtures/)."""

from __future__ import annotations

import csv
import json
import shutil
import tomllib
from datetime import datetime
from pathlib import Path

import pytest

from tests.match_process import match

FIXTURES = Path(__file__).parent / "fixtures"

# The same five people (Carol answered twice) in every tool's shape: Alice and Bob want
# each other and disagree; Dave blocks Erin; Carol's latest answer shares two topics with
# Erin, so Dave is the odd one out.
PAIRS = {
    frozenset({"alice@example.org", "bob@example.org"}),
    frozenset({"carol@example.org", "erin@example.org"}),
}


def fixture(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copy(FIXTURES / name, tmp_path / name))


def header_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        first = file.readline()
    return next(csv.reader([first], delimiter=";" if first.count(";") > 3 else ","))


def mapping_lines(stdout: str) -> list[str]:
    return [line.strip() for line in stdout.splitlines() if line.startswith('  "')]


MAPPED = {
    "google_forms.csv": [
        '"Timestamp" -> submitted  (header: Google Forms\' submission time)',
        '"Email Address" -> email, the id  (header: Google Forms\' collected e-mail',
        '"Your name" -> name',
        '"Which topics would you like to discuss?" -> topics',
        '"How much do you agree? [Transformative AI arrives before 2035]" -> claim c1 '
        '"Transformative AI arrives before 2035"  (a grid row of "How much do you agree?"',
        '"How would you like to talk?" -> format',
        '"Time zone" -> timezone',
        '"When are you available?" -> availability',
        '"Who would you like to talk with?" -> wants',
        '"Is there anyone you would rather not be paired with?" -> blocks',
        '"Anything else we should know?" -> ignore',
    ],
    "microsoft_forms.csv": [
        '"ID" -> ignore',
        '"Start time" -> ignore',
        '"Completion time" -> submitted',
        '"Email" -> email',
        '"Name" -> name',
        '"Transformative AI arrives before 2035" -> claim c1 "Transformative AI arrives '
        'before 2035"  (the answers are agree–disagree words',
        '"Preferred format" -> format',
        '"Anyone you\'d rather not be paired with?" -> blocks',
    ],
    "typeform.csv": [
        '"#" -> ignore  (header: Typeform\'s response token)',
        '"What\'s your name?" -> name',
        '"What\'s your email address?" -> email',
        '"AI timelines" -> topics: option "AI timelines"  (one option of a multiple-choice',
        '"Forecasting" -> topics: option "Forecasting"',
        '"Moral realism is true" -> claim c2 "Moral realism is true", numbers 1-5  (the '
        "answers are numbers on a 1-5 scale",
        '"Submit Date (UTC)" -> submitted',
        '"Network ID" -> ignore',
    ],
    "tally.csv": [
        '"Submission ID" -> ignore',
        '"Respondent ID" -> respondent',
        '"Submitted at" -> submitted',
        '"Which topics do you want to discuss?" -> topics',
        '"Transformative AI arrives before 2035" -> claim c1 "Transformative AI arrives '
        'before 2035", numbers 1-5',
        '"Format" -> format',
    ],
}


@pytest.mark.parametrize("name", sorted(MAPPED))
def test_each_tools_export_is_paired_with_its_mapping_printed(name: str, tmp_path: Path) -> None:
    source = fixture(name, tmp_path)
    intros = tmp_path / "intros.md"
    result = match(source, "--output", intros)
    assert result.returncode == 0, result.stderr

    printed = mapping_lines(result.stdout)
    assert len(printed) == len(header_of(source)), "one line per column"
    for expected in MAPPED[name]:
        assert any(line.startswith(expected) for line in printed), (expected, printed)
    assert (
        "Note: carol@example.org answered 2 times (lines 3, 7); kept line 7, the latest"
        in result.stdout
    )
    assert "Alice Smith + Bob" in result.stdout, "the terminal shows names"
    assert "alice@example.org +" not in result.stdout

    text = intros.read_text(encoding="utf-8")
    sections = text.split("\n## ")
    assert sections[1].startswith("1. Alice Smith and Bob Jones\n\n")
    assert sections[2].startswith("2. Carol White and Erin Green\n\n")
    assert "To: Alice Smith <alice@example.org>, Bob Jones <bob@example.org>" in sections[1]
    assert (
        "• “Transformative AI arrives before 2035”: Alice Smith: strongly agree · "
        "Bob Jones: strongly disagree"
    ) in sections[1]
    assert "You both said you would like to talk with each other." in sections[1]
    assert "**Topics you share:** Forecasting, Ethics" in sections[2]
    assert (
        "• “Moral realism is true”: Carol White: strongly disagree · Erin Green: unsure"
        in (sections[2])
    ), "Carol's latest answer, not her first"
    assert sections[3] == (
        "Not matched\n\n- Dave Brown <dave@example.org>: odd one out. The pool had an odd "
        "number of people this round, and you were the one left over.\n"
    )


def test_intros_are_the_bots_opening_message(tmp_path: Path) -> None:
    """The section body is `dialogue_intro` itself: format and overlapping times included."""
    source = fixture("google_forms.csv", tmp_path)
    intros = tmp_path / "intros.md"
    assert match(source, "-o", intros).returncode == 0
    first = intros.read_text(encoding="utf-8").split("\n## ")[1]
    lines = first.splitlines()
    assert (
        lines[4] == "**Welcome, Alice Smith and Bob Jones!** You have been paired for a dialogue."
    )
    assert "**Format:** live (sync): find a 1–3 h block and talk live" in lines
    # Weekday evenings in Berlin (17-21, UTC+1 on the engine's winter reference date) and
    # afternoons in New York (12-17, UTC-5) overlap 17-20 UTC; Bob's Saturday morning not.
    assert (
        "**You are both available (UTC):** Mon 17:00–20:00, Tue 17:00–20:00, Wed 17:00–20:00, "
        "Thu 17:00–20:00, Fri 17:00–20:00"
    ) in lines
    assert lines[-1].startswith("**To start:** On “Transformative AI arrives before 2035”")


def test_json_output_of_a_form_export_has_the_pairs(tmp_path: Path) -> None:
    source = fixture("typeform.csv", tmp_path)
    result = match(source, "-o", tmp_path / "result.json")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert {frozenset(p["members"]) for p in report["pairs"]} == PAIRS
    alice_bob = next(p for p in report["pairs"] if "alice@example.org" in p["members"])
    assert alice_bob["disagreements"][0]["stances"] == {
        "alice@example.org": 2,  # 5 on Typeform's 1-5 opinion scale
        "bob@example.org": -2,  # 1
    }
    assert alice_bob["mutual_want"] is True, "Alice wrote just 'Bob': a unique first name"


# --------------------------------------------------------------------------
# ambiguous columns


def test_ambiguous_columns_stop_with_a_proposed_mapping_and_a_rerun_pairs(tmp_path: Path) -> None:
    source = fixture("google_forms_ambiguous.csv", tmp_path)
    result = match(source, "-o", tmp_path / "intros.md")
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert not (tmp_path / "intros.md").exists()
    proposal = tmp_path / "google_forms_ambiguous.mapping.toml"
    assert '? "Pronouns" -> ignore' in result.stderr
    assert '? "People" -> ignore' in result.stderr
    assert f"matchmaker match {source} --mapping {proposal}" in result.stderr

    columns = tomllib.loads(proposal.read_text(encoding="utf-8"))["column"]
    assert [c["header"] for c in columns] == header_of(source)
    people = next(c for c in columns if c["header"] == "People")
    assert people["kind"] == "ignore"
    assert "# It is set to 'ignore'; it could be: wants, blocks." in proposal.read_text()

    rerun = match(source, "--mapping", proposal, "-o", tmp_path / "result.json")
    assert rerun.returncode == 0, rerun.stderr
    assert '"People" -> ignore  (from the mapping file)' in rerun.stdout
    report = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert {frozenset(p["members"]) for p in report["pairs"]} == PAIRS


def test_an_edited_mapping_wins_over_the_guess(tmp_path: Path) -> None:
    source = fixture("google_forms_ambiguous.csv", tmp_path)
    assert match(source).returncode == 3
    proposal = tmp_path / "google_forms_ambiguous.mapping.toml"
    text = proposal.read_text(encoding="utf-8")
    # "People" names whom to avoid: Alice wrote "Bob Jones" there.
    text = text.replace('header = "People"\nkind = "ignore"', 'header = "People"\nkind = "blocks"')
    # And the organiser decides the wants question should not count.
    text = text.replace(
        'header = "Who would you like to talk with?"\nkind = "wants"',
        'header = "Who would you like to talk with?"\nkind = "ignore"',
    )
    proposal.write_text(text, encoding="utf-8")
    result = match(source, "--mapping", proposal, "-o", tmp_path / "result.json")
    assert result.returncode == 0, result.stderr
    assert '"People" -> blocks  (from the mapping file)' in result.stdout
    report = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    pairs = {frozenset(p["members"]) for p in report["pairs"]}
    assert frozenset({"alice@example.org", "bob@example.org"}) not in pairs
    assert not any(p["mutual_want"] for p in report["pairs"])


def test_an_existing_mapping_is_never_overwritten(tmp_path: Path) -> None:
    source = fixture("google_forms_ambiguous.csv", tmp_path)
    proposal = tmp_path / "google_forms_ambiguous.mapping.toml"
    proposal.write_text("# my edits\n", encoding="utf-8")
    result = match(source)
    assert result.returncode == 3
    assert "already exists (not overwritten)" in result.stderr
    assert proposal.read_text(encoding="utf-8") == "# my edits\n"


def test_a_mapping_mistake_names_the_mapping_file_and_line(tmp_path: Path) -> None:
    source = fixture("tally.csv", tmp_path)
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[[column]]\nheader = "Name"\nkind = "name"\n\n[[column]]\nheader = "Email"\n'
        'kind = "e-mail"\n',
        encoding="utf-8",
    )
    result = match(source, "--mapping", mapping)
    assert result.returncode == 2
    assert f"{mapping}: line 5: column \"Email\": unknown kind 'e-mail'" in result.stderr


# --------------------------------------------------------------------------
# bad cells


def replace_cell(path: Path, old: str, new: str) -> Path:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '"America/New_York"',
            '"Mars/Olympus"',
            'line 4, column "Time zone": expected an IANA timezone such as "Europe/Berlin" '
            'or "UTC", got "Mars/Olympus"',
        ),
        (
            '"Somewhat disagree"',
            '"Kind of"',
            'line 4, column "How much do you agree? [Moral realism is true]": expected a '
            "stance from -2 to 2",
        ),
        (
            '"Either is fine"',
            '"Carrier pigeon"',
            'line 6, column "How would you like to talk?": expected a format such as',
        ),
    ],
)
def test_a_bad_cell_names_row_column_and_expectation_and_writes_nothing(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    source = replace_cell(fixture("google_forms.csv", tmp_path), old, new)
    intros = tmp_path / "intros.md"
    result = match(source, "--output", intros)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert expected in result.stderr
    assert "(this column was read as " in result.stderr, "says why the column was read so"
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not intros.exists()
    assert [p.name for p in tmp_path.iterdir()] == [source.name], "no partial output file"


def test_own_layout_writes_intros_with_ids_for_names(tmp_path: Path) -> None:
    source = tmp_path / "pool.csv"
    source.write_text(
        "id,topics,claim:c1 AGI arrives before 2035,about\n"
        "alice,ethics,2,Philosopher\nbob,ethics,-2,Engineer\ncarol,astrology,,\n",
        encoding="utf-8",
    )
    result = match(source, "-o", tmp_path / "intros.md")
    assert result.returncode == 0, result.stderr
    assert "Columns (matchmaker's own layout):" in result.stdout
    assert '"about" -> about  (matchmaker\'s column name for about)' in result.stdout
    text = (tmp_path / "intros.md").read_text(encoding="utf-8")
    assert "## 1. alice and bob\n\nTo: alice, bob\n" in text
    assert "• alice: Philosopher" in text
    assert "- carol: odd one out. The pool had an odd number" in text


def test_columns_missing_from_a_given_mapping_are_shown_to_add(tmp_path: Path) -> None:
    source = fixture("google_forms_ambiguous.csv", tmp_path)
    assert match(source).returncode == 3
    proposal = tmp_path / "google_forms_ambiguous.mapping.toml"
    # The organiser's mapping forgot the two unclear columns.
    text = proposal.read_text(encoding="utf-8")
    for header in ("Pronouns", "People"):
        start = text.index(f'header = "{header}"')
        end = text.find("\n\n", start)
        text = text[: text.rindex("[[column]]", 0, start)] + (text[end:] if end > 0 else "")
    proposal.write_text(text, encoding="utf-8")
    result = match(source, "--mapping", proposal)
    assert result.returncode == 3
    assert f"these columns are not in {proposal}" in result.stderr
    assert '[[column]]\nheader = "Pronouns"\nkind = "ignore"' in result.stderr
    assert '[[column]]\nheader = "People"\nkind = "ignore"' in result.stderr
    assert proposal.read_text(encoding="utf-8") == text, "the organiser's file is untouched"


def microsoft_forms_workbook(path: Path, *, change: tuple[str, str] | None = None) -> Path:
    """The .xlsx Microsoft Forms' "Open results in Excel" downloads: the CSV fixture's
    cells, with real date-times in Start time and Completion time."""
    import openpyxl

    with (FIXTURES / "microsoft_forms.csv").open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file, delimiter=";"))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(rows[0])
    for row in rows[1:]:
        if change and change[0] in row:
            row = [change[1] if cell == change[0] else cell for cell in row]
        times = [datetime.strptime(row[i], "%m/%d/%y %H:%M:%S") for i in (1, 2)]
        sheet.append([int(row[0]), *times, *row[3:]])
    book.save(path)
    return path


def test_microsoft_forms_workbook_is_read_as_downloaded(tmp_path: Path) -> None:
    source = microsoft_forms_workbook(tmp_path / "Dialogue signup.xlsx")
    result = match(source, "-o", tmp_path / "result.json")
    assert result.returncode == 0, result.stderr
    assert '"Completion time" -> submitted' in result.stdout
    assert "kept line 7, the latest" not in result.stdout
    assert "carol@example.org answered 2 times (rows 3, 7); kept row 7" in result.stdout
    report = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert {frozenset(p["members"]) for p in report["pairs"]} == PAIRS


def test_a_bad_cell_in_a_workbook_names_its_row(tmp_path: Path) -> None:
    source = microsoft_forms_workbook(tmp_path / "form.xlsx", change=("UTC", "Moon/Base"))
    result = match(source)
    assert result.returncode == 2
    assert 'row 3, column "Your timezone": expected an IANA timezone' in result.stderr


def test_what_people_look_for_makes_interview_intros(tmp_path: Path) -> None:
    source = tmp_path / "form.csv"
    with source.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            [
                "Timestamp",
                "Email Address",
                "Your name",
                "Which topics?",
                "What are you looking for?",
            ]
        )
        writer.writerow(
            ["2024/03/04 9:15:02 AM GMT+1", "ada@x.org", "Ada Ng", "Ethics", "Be interviewed"]
        )
        writer.writerow(["2024/03/04 9:16:02 AM GMT+1", "ben@x.org", "Ben Ox", "Ethics", "Debate"])
        writer.writerow(
            ["2024/03/04 9:17:02 AM GMT+1", "cy@x.org", "Cy Lee", "Ethics", "Interview someone"]
        )
        writer.writerow(
            ["2024/03/04 9:18:02 AM GMT+1", "dee@x.org", "Dee Po", "Ethics", "Dialogue"]
        )
    intros = tmp_path / "intros.md"
    result = match(source, "-o", intros, "--solver", "exact")
    assert result.returncode == 0, result.stderr
    assert '"What are you looking for?" -> looking_for' in result.stdout
    assert "interview:" in result.stdout, "the terminal's kind column"
    text = intros.read_text(encoding="utf-8")
    assert (
        "**Welcome, Ada Ng and Cy Lee!** You have been paired for an interview: "
        "**Cy Lee interviews Ada Ng**."
    ) in text or (
        "**Welcome, Cy Lee and Ada Ng!** You have been paired for an interview: "
        "**Cy Lee interviews Ada Ng**."
    ) in text
    assert "You have been paired for a dialogue." in text, "Ben and Dee"
