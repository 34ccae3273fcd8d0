"""Reading real layouts in process: encodings and delimiters, guessing columns, Likert
answers, duplicates, people named by name or e-mail, and the mapping file."""

from __future__ import annotations

import codecs
import csv
import io
import tomllib
from pathlib import Path

import pytest

from bot.formfiles import AmbiguousColumns, FormFileError, load_document, read_form_file
from bot.formfiles.columns import guess_columns
from bot.formfiles.mapping import mapping_text
from bot.formfiles.table import parse_table


def form(header: list[str], *rows: list[str], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows([header, *rows])
    return buffer.getvalue()


def person(document: dict, pid: str) -> dict:
    return next(p for p in document["participants"] if p["id"] == pid)


def rules_of(text: str) -> dict[str, str]:
    return {r.header: r.kind for r in guess_columns(parse_table(text)).rules}


# --------------------------------------------------------------------------
# table: encodings, byte-order marks, delimiters


def test_excel_csv_utf8_with_bom_semicolons_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    text = "Email;Name;Topics\r\nbé@example.org;Béatrice Müller;Ethics, Forecasting\r\n"
    path.write_bytes(codecs.BOM_UTF8 + text.encode())
    form_file = read_form_file(path)
    assert form_file.guess is not None and form_file.guess.rules[0].header == "Email"
    assert form_file.contacts["bé@example.org"].name == "Béatrice Müller"
    assert person(form_file.document, "bé@example.org")["topics"] == ["ethics", "forecasting"]


def test_excel_sep_line_names_the_delimiter() -> None:
    table = parse_table("sep=;\nEmail;Name\na@x.org;Ann, the first\n")
    assert table.header == ("Email", "Name")
    assert table.rows[0].cells == ("a@x.org", "Ann, the first")
    assert table.rows[0].line == 3


def test_excel_unicode_text_is_utf16_with_tabs(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes("Email\tName\r\nzoë@example.org\tZoë\r\n".encode("utf-16"))
    form_file = read_form_file(path)
    assert form_file.contacts["zoë@example.org"].name == "Zoë"


def test_legacy_encoding_is_an_error_unless_named(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("Email,Name\nb@x.org,Béatrice\n".encode("cp1252"))
    with pytest.raises(FormFileError, match="--encoding cp1252") as caught:
        read_form_file(path)
    assert caught.value.line == 2
    assert read_form_file(path, encoding="cp1252").contacts["b@x.org"].name == "Béatrice"


def test_delimiter_is_counted_outside_quotes() -> None:
    header = '"Topics (pick any; or none)",Email,"Name; or nickname"\n'
    table = parse_table(header + '"Ethics, Forecasting",a@x.org,Ann\n')
    assert table.delimiter == ","
    assert table.header[0] == "Topics (pick any; or none)"


# --------------------------------------------------------------------------
# Likert answers


@pytest.mark.parametrize(
    ("answers", "stances"),
    [
        (
            ["Strongly agree", "somewhat DISAGREE", "Neither agree nor disagree", "Agree"],
            [2, -1, 0, 1],
        ),
        (["1", "5", "3", "2"], [-2, 2, 0, -1]),
        (["-2", "+2", "0", "−1"], [-2, 2, 0, -1]),
        (["0", "10", "5", "8"], [-2, 2, 0, 1]),
    ],
)
def test_likert_words_and_number_scales(answers: list[str], stances: list[int]) -> None:
    rows = [[f"p{i}@x.org", answer] for i, answer in enumerate(answers)]
    document = load_document(form(["Email", "AI arrives before 2035"], *rows))
    assert document["claims"] == {"c1": {"text": "AI arrives before 2035", "topics": []}}
    got = [person(document, f"p{i}@x.org")["stances"].get("c1") for i in range(len(answers))]
    assert got == stances


def test_answers_of_only_1_and_2_leave_the_scale_to_the_organiser() -> None:
    text = form(["Email", "AI arrives before 2035"], ["a@x.org", "1"], ["b@x.org", "2"])
    with pytest.raises(AmbiguousColumns) as caught:
        read_form_file(text)
    [rule] = caught.value.guess.ambiguous
    assert rule.header == "AI arrives before 2035" and rule.kind == "claim"


def test_grid_rows_become_claims_with_the_row_as_text() -> None:
    header = [
        "Email",
        "How much do you agree? [AGI by 2035]",
        "How much do you agree? [Ethics is real]",
    ]
    document = load_document(form(header, ["a@x.org", "Agree", "Strongly disagree"]))
    assert document["claims"] == {
        "c1": {"text": "AGI by 2035", "topics": []},
        "c2": {"text": "Ethics is real", "topics": []},
    }
    assert person(document, "a@x.org")["stances"] == {"c1": 1, "c2": -2}


def test_format_grid_and_availability_grid() -> None:
    header = [
        "Email",
        "How do you feel about each format? [Live call]",
        "How do you feel about each format? [Async text]",
        "When are you free? [Monday]",
        "When are you free? [Saturday]",
    ]
    document = load_document(form(header, ["a@x.org", "Great", "No", "Evening", "Morning, 14-16"]))
    alice = person(document, "a@x.org")
    assert alice["format"] == {"sync": "great", "async": "no"}
    assert alice["availability"] == [
        {"day": "mon", "start": "17:00", "end": "21:00"},
        {"day": "sat", "start": "09:00", "end": "12:00"},
        {"day": "sat", "start": "14:00", "end": "16:00"},
    ]


@pytest.mark.parametrize(
    ("cell", "zone"),
    [
        ("UTC+1", "Etc/GMT-1"),
        ("GMT-5", "Etc/GMT+5"),
        ("(GMT+02:00) Athens", "Etc/GMT-2"),
        ("UTC", "UTC"),
        ("PST", "America/Los_Angeles"),
        ("new york", "America/New_York"),
        ("Berlin", "Europe/Berlin"),
    ],
)
def test_timezone_answers_as_offsets(cell: str, zone: str) -> None:
    document = load_document(form(["Email", "Your time zone"], ["a@x.org", cell]))
    assert person(document, "a@x.org")["timezone"] == zone


# --------------------------------------------------------------------------
# people: ids, duplicates, wants and blocks


def test_duplicate_submissions_keep_the_latest_by_time_not_file_order() -> None:
    text = form(
        ["Timestamp", "Email Address", "Which topics?"],
        ["2024/03/05 8:00:00 AM GMT+1", "A@X.org", "Ethics"],
        ["2024/03/04 8:00:00 AM GMT+1", "a@x.org", "Forecasting"],  # sorted by hand, later row
        ["2024/03/04 9:00:00 AM GMT+1", "b@x.org", "Ethics"],
    )
    form_file = read_form_file(text)
    assert person(form_file.document, "a@x.org")["topics"] == ["ethics"]
    assert form_file.line_of("a@x.org") == 2
    assert form_file.notes == (
        "a@x.org answered 2 times (lines 2, 3); kept line 2, the latest, and dropped line 3",
    )


def test_own_layout_duplicate_ids_stay_an_error() -> None:
    with pytest.raises(FormFileError, match="already used on line 2"):
        load_document(form(["id"], ["alice"], ["alice"]))


def test_wants_and_blocks_name_people_by_name_email_or_first_name() -> None:
    text = form(
        [
            "Name",
            "Email",
            "Who would you like to talk with?",
            "Anyone you'd rather not be paired with?",
        ],
        ["Alice Smith", "alice@x.org", "BOB@x.org, Carol", ""],
        ["Bob Jones", "bob@x.org", "alice smith", "Carol White"],
        ["Carol White", "carol@x.org", "", ""],
    )
    document = load_document(text)
    assert person(document, "alice@x.org")["wants"] == ["bob@x.org", "carol@x.org"]
    assert person(document, "bob@x.org")["wants"] == ["alice@x.org"]
    assert person(document, "bob@x.org")["blocks"] == ["carol@x.org"]


def test_a_name_nobody_has_is_noted_and_a_near_miss_is_an_error() -> None:
    header = ["Name", "Email", "Who would you like to talk with?"]
    rows = [["Alice Smith", "alice@x.org", "Zed Zulu"], ["Bob Jones", "bob@x.org", ""]]
    form_file = read_form_file(form(header, *rows))
    assert "wants" not in person(form_file.document, "alice@x.org")
    assert form_file.notes == (
        'line 2, column "Who would you like to talk with?": "Zed Zulu" is not among the '
        "respondents; left out",
    )
    rows[0][2] = "Bob Jonse"
    with pytest.raises(FormFileError) as caught:
        read_form_file(form(header, *rows))
    assert (caught.value.line, caught.value.column) == (2, "Who would you like to talk with?")
    assert 'did you mean "bob jones"' in caught.value.reason


def test_a_row_without_its_id_names_the_column() -> None:
    with pytest.raises(FormFileError) as caught:
        load_document(form(["Email", "Name"], ["a@x.org", "Ann"], ["", "Ben"]))
    assert (caught.value.line, caught.value.column) == (3, "Email")


# --------------------------------------------------------------------------
# guessing


def test_free_text_and_an_unknown_choice() -> None:
    long = "I have thought about this for a long time and would love to talk it through."
    text = form(
        ["Email", "Tell us about yourself", "Shirt size"],
        ["a@x.org", long, "M"],
        ["b@x.org", long.upper() + " Really.", "L"],
    )
    assert rules_of(text) == {
        "Email": "email",
        "Tell us about yourself": "about",
        "Shirt size": "ignore",
    }
    with pytest.raises(AmbiguousColumns) as caught:
        read_form_file(text)
    assert [r.header for r in caught.value.guess.ambiguous] == ["Shirt size"]


def test_typeform_option_columns_are_one_topics_question() -> None:
    text = form(
        ["#", "Email", "AI", "Ethics", "Submit Date (UTC)"],
        ["t1", "a@x.org", "AI", "", "2024-03-04 08:15:02"],
        ["t2", "b@x.org", "", "Ethics", "2024-03-04 08:16:02"],
    )
    document = load_document(text)
    assert person(document, "a@x.org")["topics"] == ["ai"]
    assert person(document, "b@x.org")["topics"] == ["ethics"]


def test_microsoft_forms_choices_keep_their_commas() -> None:
    text = form(
        ["ID", "Start time", "Completion time", "Email", "Name", "Topics"],
        ["1", "3/4/24 9:12:40", "3/4/24 9:15:02", "a@x.org", "A", "War, peace and law;Ethics;"],
    )
    assert person(load_document(text), "a@x.org")["topics"] == ["war-peace-and-law", "ethics"]


# --------------------------------------------------------------------------
# the mapping file


def test_written_mapping_reads_back_with_tomllib_whatever_the_headers() -> None:
    header = ["Email", 'Say "hi" \\ back', "Tab\tand\nnewline", "How much do you agree? [A [b]]"]
    table = parse_table(form(header, ["a@x.org", "x", "y", "Agree"]))
    guess = guess_columns(table)
    text = mapping_text(guess, source="f.csv", mapping_path="f.mapping.toml")
    columns = tomllib.loads(text)["column"]
    assert [c["header"] for c in columns] == list(table.header)
    assert [c["kind"] for c in columns] == [r.kind for r in guess.rules]


def test_mapping_wins_and_fills_gaps_by_guessing(tmp_path: Path) -> None:
    text = form(["Email", "Shirt size", "AGI by 2035"], ["a@x.org", "M", "Agree"])
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[[column]]\nheader = "shirt  SIZE"\nkind = "ignore"\n\n'
        '[[column]]\nheader = "AGI by 2035"\nkind = "claim"\nclaim = "agi"\n'
        'text = "AGI arrives by 2035"\ntopics = ["AI timelines"]\n',
        encoding="utf-8",
    )
    form_file = read_form_file(text, mapping=mapping)
    assert form_file.document["claims"] == {
        "agi": {"text": "AGI arrives by 2035", "topics": ["ai-timelines"]}
    }
    assert form_file.document["topics"] == ["ai-timelines"]
    assert [r.why for r in form_file.guess.rules][1:] == ["from the mapping file"] * 2


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[[column]]\nheader = "Nope"\nkind = "ignore"\n', 'names column "Nope", which the file'),
        ('[[column]]\nheader = "Email"\nkind = "email"\nscale = "1-5"\n', "applies to kind"),
        ('[[column]]\nheader = "Email"\n', 'needs kind = "..."'),
        ("column = [", "not valid TOML"),
    ],
)
def test_mapping_mistakes(tmp_path: Path, toml: str, message: str) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(toml, encoding="utf-8")
    with pytest.raises(FormFileError) as caught:
        read_form_file(form(["Email"], ["a@x.org"]), mapping=mapping)
    assert message in str(caught.value)
    assert caught.value.source == str(mapping)


def test_short_intro_answers_are_still_the_intro_text() -> None:
    text = form(["Email", "Tell us about yourself"], ["a@x.org", "Engineer"], ["b@x.org", "Poet"])
    form_file = read_form_file(text)
    assert form_file.contacts["a@x.org"].about == "Engineer"


def test_microsoft_forms_anonymous_columns_are_not_ids() -> None:
    text = form(
        ["ID", "Start time", "Completion time", "Email", "Name", "Your name"],
        ["1", "3/4/24 9:12:40", "3/4/24 9:15:02", "anonymous", "anonymous", "Ann"],
        ["2", "3/4/24 9:13:40", "3/4/24 9:16:02", "anonymous", "anonymous", "Ben"],
    )
    form_file = read_form_file(text)
    assert [p["id"] for p in form_file.document["participants"]] == ["Ann", "Ben"]


def test_write_mapping_saves_the_mapping_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli.match_command import main

    source = tmp_path / "form.csv"
    source.write_text(
        form(["Email", "Which topics?"], ["a@x.org", "Ethics"], ["b@x.org", "Ethics"])
    )
    saved = tmp_path / "saved.toml"
    assert main([str(source), "--write-mapping", str(saved)]) == 0
    assert f"Wrote the mapping to {saved}" in capsys.readouterr().out
    columns = tomllib.loads(saved.read_text(encoding="utf-8"))["column"]
    assert [(c["header"], c["kind"]) for c in columns] == [
        ("Email", "email"),
        ("Which topics?", "topics"),
    ]
    assert main([str(source), "--mapping", str(saved)]) == 0
    assert '"Which topics?" -> topics  (from the mapping file)' in capsys.readouterr().out


def test_google_forms_in_another_language_and_an_appetite_question() -> None:
    text = form(
        [
            "Zeitstempel",
            "E-Mail-Adresse",
            "How do you feel about talking with someone who disagrees?",
        ],
        ["04.03.2024 09:15:02", "a@x.org", "I seek it out"],
        ["04.03.2024 09:16:02", "b@x.org", "I'd rather avoid it"],
    )
    guess = read_form_file(text).guess
    assert guess is not None and guess.layout == "Google Forms"
    assert [r.kind for r in guess.rules] == ["submitted", "email", "disagreement"]
    document = load_document(text)
    assert [p["disagreement"] for p in document["participants"]] == ["seek", "avoid"]


def test_what_they_are_looking_for_as_one_column_or_option_columns() -> None:
    one = form(
        ["Email", "What are you looking for?"],
        ["a@x.org", "Debate, Be interviewed"],
        ["b@x.org", "Interview someone"],
    )
    table = parse_table(one)
    assert [r.kind for r in guess_columns(table).rules] == ["email", "looking_for"]
    document = load_document(one)
    assert person(document, "a@x.org")["looking_for"] == ["dialogue", "interview_me"]
    assert person(document, "a@x.org")["disagreement"] == "seek", "a debate seeks disagreement"
    assert person(document, "b@x.org")["looking_for"] == ["interview_them"]
    options = form(
        ["#", "Email", "Dialogue", "Be interviewed", "Interview someone", "Submit Date (UTC)"],
        ["t1", "a@x.org", "Dialogue", "Be interviewed", "", "2024-03-04 08:15:02"],
        ["t2", "b@x.org", "", "", "Interview someone", "2024-03-04 08:16:02"],
    )
    rules = guess_columns(parse_table(options)).rules
    assert [r.kind for r in rules[2:5]] == ["looking_for"] * 3
    wanted = [p.get("looking_for") for p in load_document(options)["participants"]]
    assert wanted == [["dialogue", "interview_me"], ["interview_them"]]


def test_a_form_sentence_about_what_they_look_for() -> None:
    text = form(
        ["Email", "What are you looking for?", "How much disagreement do you want?"],
        ["a@x.org", "I'd like to interview someone", "Neutral"],
        ["b@x.org", "A friendly debate", "I'd rather avoid it"],
    )
    assert person(load_document(text.replace("A friendly debate", "A dialogue")), "a@x.org")[
        "looking_for"
    ] == ["interview_them"]
    with pytest.raises(FormFileError) as caught:
        load_document(text)
    assert (caught.value.line, caught.value.column) == (3, "What are you looking for?")
    assert '"debate" means disagreement seek, but this row says "avoid"' in caught.value.reason


def test_a_first_name_two_respondents_share_is_an_error() -> None:
    header = ["Name", "Email", "Who would you like to talk with?"]
    rows = [["Alex Ames", "a1@x.org", ""], ["Alex Burr", "a2@x.org", ""], ["Cy", "c@x.org", "Alex"]]
    with pytest.raises(FormFileError) as caught:
        read_form_file(form(header, *rows))
    assert (caught.value.line, caught.value.column) == (4, "Who would you like to talk with?")
    assert '"Alex" could be any of a1@x.org, a2@x.org' in caught.value.reason


def test_a_count_answered_in_small_numbers_is_not_a_claim() -> None:
    text = form(["Email", "How many dialogues a month?"], ["a@x.org", "1"], ["b@x.org", "3"])
    with pytest.raises(AmbiguousColumns) as caught:
        read_form_file(text)
    [rule] = caught.value.guess.ambiguous
    assert rule.kind == "ignore"
