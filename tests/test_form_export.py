"""Reading form exports (CSV and the engine's JSON) into the engine's input document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.form_export import FormExportError, load_document, read_form_export, topic_id


def csv_text(header: list[str], *rows: list[str], delimiter: str = ",") -> str:
    """A CSV export; rows shorter than the header are fine, as spreadsheets write them."""
    return "\n".join(delimiter.join(cells) for cells in [header, *rows]) + "\n"


def person(document: dict, member: str) -> dict:
    return next(p for p in document["participants"] if p["id"] == member)


def bad(text: str, **kwargs: object) -> FormExportError:
    with pytest.raises(FormExportError) as caught:
        load_document(text, **kwargs)  # type: ignore[arg-type]
    return caught.value


FULL_HEADER = [
    "id",
    "topics",
    "claim:c1 [ai-timelines] AGI arrives before 2035",
    "claim:c2 Theory beats empirical work",
    "sync",
    "async",
    "timezone",
    "availability",
    "disagreement",
    "wants",
    "blocks",
    "priority",
    "paused",
]


# --------------------------------------------------------------------------
# the documented layout


def test_full_row_becomes_the_contract_participant() -> None:
    text = csv_text(
        FULL_HEADER,
        [
            "alice",
            "ai-timelines; ethics",
            "2",
            "-1",
            "great",
            "okay",
            "Europe/Berlin",
            "mon 18:00-21:00; wed 09:00-12:00",
            "seek",
            "bob",
            "carol",
            "1",
            "no",
        ],
        ["bob", "ethics", "-2"],
        ["carol", "ethics"],
    )
    document = load_document(text)
    assert document["topics"] == ["ai-timelines", "ethics"]
    assert document["claims"] == {
        "c1": {"text": "AGI arrives before 2035", "topics": ["ai-timelines"]},
        "c2": {"text": "Theory beats empirical work", "topics": []},
    }
    assert person(document, "alice") == {
        "id": "alice",
        "topics": ["ai-timelines", "ethics"],
        "stances": {"c1": 2, "c2": -1},
        "format": {"sync": "great", "async": "okay"},
        "timezone": "Europe/Berlin",
        "availability": [
            {"day": "mon", "start": "18:00", "end": "21:00"},
            {"day": "wed", "start": "09:00", "end": "12:00"},
        ],
        "disagreement": "seek",
        "wants": ["bob"],
        "blocks": ["carol"],
        "priority": 1,
    }


def test_blank_cells_leave_the_engine_defaults() -> None:
    document = load_document(csv_text(FULL_HEADER, ["carol"]))
    assert person(document, "carol") == {"id": "carol", "stances": {}}


def test_blank_stance_cell_is_a_skip_not_a_neutral_answer() -> None:
    document = load_document(csv_text(["id", "claim:c1", "claim:c2"], ["alice", "", "0"]))
    assert person(document, "alice")["stances"] == {"c2": 0}


@pytest.mark.parametrize(
    ("cell", "stance"),
    [
        ("-2", -2),
        ("+2", 2),
        ("2.0", 2),
        ("−1", -1),  # a typographic minus, as spreadsheets and word processors write it
        ("Strongly disagree", -2),
        ("disagree", -1),
        ("Neither agree nor disagree", 0),
        ("neutral", 0),
        ("Agree", 1),
        ("STRONGLY  AGREE", 2),
    ],
)
def test_stances_accept_numbers_and_likert_words(cell: str, stance: int) -> None:
    document = load_document(csv_text(["id", "claim:c1"], ["alice", cell]))
    assert person(document, "alice")["stances"] == {"c1": stance}


@pytest.mark.parametrize("cell", ["skip", "N/A", "no opinion", "Don't know", "  "])
def test_skip_words_skip_the_claim(cell: str) -> None:
    document = load_document(csv_text(["id", "claim:c1"], ["alice", cell]))
    assert person(document, "alice")["stances"] == {}


def test_header_names_ignore_case_spacing_and_underscores() -> None:
    header = ["ID", " Topics ", "Time_Zone", "SYNC", "Async", "Disagreement"]
    document = load_document(csv_text(header, ["alice", "ethics", "UTC", "Great", "NO", "Avoid"]))
    assert person(document, "alice") == {
        "id": "alice",
        "topics": ["ethics"],
        "stances": {},
        "format": {"sync": "great", "async": "no"},
        "timezone": "UTC",
        "disagreement": "avoid",
    }


def test_one_format_cell_fills_the_other_with_okay() -> None:
    document = load_document(csv_text(["id", "sync", "async"], ["alice", "no", ""]))
    assert person(document, "alice")["format"] == {"sync": "no", "async": "okay"}


@pytest.mark.parametrize(
    ("header_cell", "claim_id", "text", "topics"),
    [
        ("claim:c1", "c1", "c1", []),
        ("Claim: c1 - AGI arrives before 2035", "c1", "AGI arrives before 2035", []),
        ("claim:c1: AGI arrives", "c1", "AGI arrives", []),
        (
            "claim:q7 [AI timelines; forecasting] AGI arrives before 2035",
            "q7",
            "AGI arrives before 2035",
            ["ai-timelines", "forecasting"],
        ),
    ],
)
def test_claims_are_defined_by_their_column_headers(
    header_cell: str, claim_id: str, text: str, topics: list[str]
) -> None:
    document = load_document(csv_text(["id", header_cell], ["alice", "1"]))
    assert document["claims"] == {claim_id: {"text": text, "topics": topics}}
    assert set(document["topics"]) == set(topics)
    assert person(document, "alice")["stances"] == {claim_id: 1}


def test_topics_are_the_union_of_cells_in_first_seen_order() -> None:
    text = csv_text(["id", "topics"], ["a", '"Ethics, AI  Timelines"'], ["b", "forecasting;ethics"])
    document = load_document(text)
    assert document["topics"] == ["ethics", "ai-timelines", "forecasting"]
    assert person(document, "a")["topics"] == ["ethics", "ai-timelines"]


def test_a_given_topic_list_is_kept_whole_and_enforced() -> None:
    text = csv_text(["id", "topics"], ["a", "ethics"])
    document = load_document(text, topics=["AI timelines", "ethics"])
    assert document["topics"] == ["ai-timelines", "ethics"]

    error = bad(csv_text(["id", "topics"], ["a", "ethics"], ["b", "astrology"]), topics=["ethics"])
    assert (error.line, error.column) == (3, "topics")
    assert 'unknown topic "astrology"' in str(error)


def test_topic_ids_normalise_labels() -> None:
    assert topic_id("  AI  Timelines ") == "ai-timelines"
    assert topic_id("agent_foundations") == "agent-foundations"


@pytest.mark.parametrize(
    ("cell", "windows"),
    [
        ("mon 18:00-21:00", [("mon", "18:00", "21:00")]),
        ("Monday 9-12", [("mon", "09:00", "12:00")]),
        ("sat 10:00–13:00", [("sat", "10:00", "13:00")]),  # en dash
        ("tue 09:00-12:00, 14:00-17:00", [("tue", "09:00", "12:00"), ("tue", "14:00", "17:00")]),
        ("sat-sun 21:00-24:00", [("sat", "21:00", "24:00"), ("sun", "21:00", "24:00")]),
        ("weekends 10-11", [("sat", "10:00", "11:00"), ("sun", "10:00", "11:00")]),
    ],
)
def test_availability_windows(cell: str, windows: list[tuple[str, str, str]]) -> None:
    document = load_document(csv_text(["id", "availability"], ["alice", f'"{cell}"']))
    got = person(document, "alice")["availability"]
    assert [(w["day"], w["start"], w["end"]) for w in got] == windows


def test_weekdays_expand_to_five_days() -> None:
    document = load_document(csv_text(["id", "availability"], ["alice", "weekdays 9-10"]))
    days = [w["day"] for w in person(document, "alice")["availability"]]
    assert days == ["mon", "tue", "wed", "thu", "fri"]


def test_paused_members_stay_in_the_document_flagged() -> None:
    text = csv_text(["id", "paused", "wants"], ["a", "yes", "b"], ["b", "", "a"], ["c", "no"])
    document = load_document(text)
    assert person(document, "a")["paused"] is True
    assert "paused" not in person(document, "b")
    assert "paused" not in person(document, "c")


def test_history_column_becomes_symmetric_history_entries() -> None:
    text = csv_text(["id", "history"], ["a", "b 3; c 1"], ["b", "a 2"], ["c"])
    document = load_document(text)
    history = {tuple(h["members"]): h["rounds_ago"] for h in document["history"]}
    assert history == {("a", "b"): 2, ("a", "c"): 1}


def test_extra_form_columns_and_hash_columns_are_ignored() -> None:
    header = ["Timestamp", "Email address", "id", "# my notes", "About"]
    document = load_document(csv_text(header, ["2024-01-01", "a@x.org", "alice", "hi", "me"]))
    assert person(document, "alice") == {"id": "alice", "stances": {}}


def test_semicolon_delimited_exports_and_quoted_multiline_cells() -> None:
    text = 'id;topics;availability\nalice;"ethics, forecasting";"mon 9-10\nwed 9-10"\nbob;ethics\n'
    document = load_document(text)
    assert person(document, "alice")["topics"] == ["ethics", "forecasting"]
    assert [w["day"] for w in person(document, "alice")["availability"]] == ["mon", "wed"]
    # The error line is where the row starts, even after a cell spanning lines.
    error = bad(text.replace("bob;ethics", "bob;ethics;nope"))
    assert error.line == 4


def test_byte_order_mark_and_blank_rows_are_harmless(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_bytes("\ufeffid,topics\r\nalice,ethics\r\n\r\n,,\r\nbob,ethics\r\n".encode())
    document = load_document(path)
    assert [p["id"] for p in document["participants"]] == ["alice", "bob"]


def test_path_given_as_a_string_is_read(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_text(csv_text(["id"], ["alice"]), encoding="utf-8")
    assert load_document(str(path))["participants"] == [{"id": "alice", "stances": {}}]


def test_rows_record_their_lines_for_engine_errors() -> None:
    export = read_form_export(csv_text(["id"], ["alice"], ["bob"]))
    assert export.line_of("bob") == 3
    assert export.line_of("nobody") is None


# --------------------------------------------------------------------------
# JSON


def test_json_document_is_returned_as_parsed(tmp_path: Path) -> None:
    data = {"topics": [], "claims": {}, "participants": [{"id": "alice"}]}
    path = tmp_path / "pool.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_document(path) == data
    assert load_document(json.dumps(data)) == data  # kind sniffed from the text


def test_json_records_where_each_participant_id_is() -> None:
    text = '{"participants": [\n  {"id": "alice"},\n  {"id": "bob"}\n]}'
    assert read_form_export(text, "json").lines == {"alice": 2, "bob": 3}


def test_kind_overrides_the_suffix(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text('{"participants": []}', encoding="utf-8")
    assert load_document(path, "json") == {"participants": []}


# --------------------------------------------------------------------------
# each bad input, with its line and column


@pytest.mark.parametrize(
    ("header", "row", "column", "message"),
    [
        (["id", "sync"], ["a", "maybe"], "sync", 'expected great, okay or no, got "maybe"'),
        (["id", "async"], ["a", "yes please"], "async", "expected great, okay or no"),
        (["id", "claim:c1"], ["a", "3"], "claim:c1", "stance from -2 to 2"),
        (["id", "claim:c1"], ["a", "kind of"], "claim:c1", 'got "kind of"'),
        (["id", "claim:c1"], ["a", "1.5"], "claim:c1", 'got "1.5"'),
        (["id", "disagreement"], ["a", "love it"], "disagreement", "seek, neutral or avoid"),
        (["id", "priority"], ["a", "-1"], "priority", "whole number 0 or more"),
        (["id", "priority"], ["a", "high"], "priority", "whole number 0 or more"),
        (["id", "paused"], ["a", "perhaps"], "paused", "expected yes or no"),
        (["id", "timezone"], ["a", "Mars/Olympus"], "timezone", "IANA timezone"),
        (["id", "availability"], ["a", "someday 9-10"], "availability", "expected a day"),
        (["id", "availability"], ["a", "mon 25:00-26:00"], "availability", "expected a time"),
        (["id", "availability"], ["a", "mon 9"], "availability", "expected a span"),
        (["id", "availability"], ["a", "evenings"], "availability", "expected windows"),
        (["id", "availability"], ["a", "mon 22:00-02:00"], "availability", "cross midnight"),
        (["id", "availability"], ["a", "fri-mon 9-10"], "availability", "runs backwards"),
        (["id", "history"], ["a", "b"], "history", '"<id> <rounds ago>"'),
        (["id", "wants"], ["a", "zed"], "wants", 'unknown participant "zed"'),
        (["id", "blocks"], ["a", "a"], "blocks", "this row's own id"),
        (["id", "topics"], ["", "ethics"], "id", "the id is blank"),
    ],
)
def test_bad_cells_name_line_and_column(
    header: list[str], row: list[str], column: str, message: str
) -> None:
    error = bad(csv_text(header, ["b"], row))  # row "b" first: the bad row is on line 3
    assert error.line == 3
    assert error.column == column
    assert message in error.reason
    assert str(error).startswith(f'line 3, column "{column}": ')


def test_the_documented_example_message() -> None:
    error = bad(csv_text(["id", "sync"], *[[f"p{i}", "great"] for i in range(5)], ["x", "maybe"]))
    assert str(error) == 'line 7, column "sync": expected great, okay or no, got "maybe"'


def test_duplicate_id_names_the_first_line() -> None:
    error = bad(csv_text(["id"], ["alice"], ["bob"], ["alice"]))
    assert (error.line, error.column) == (4, "id")
    assert "already used on line 2" in error.reason


def test_unknown_column_suggests_the_near_miss() -> None:
    error = bad(csv_text(["id", "sycn"], ["a", "great"]))
    assert (error.line, error.column) == (1, "sycn")
    assert 'did you mean "sync"' in error.reason


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["topics", "sync"], "no id column"),
        (["id", "sync", "Sync"], 'same field as column "sync"'),
        (["id", "member"], 'same field as column "id"'),
        (["id", "claim:c1 one", "claim:c1 two"], "claim 'c1' has two columns"),
        (["id", "", "sync"], "header cell 2 is empty"),
    ],
)
def test_bad_headers_are_reported_on_line_1(header: list[str], message: str) -> None:
    error = bad(csv_text(header, ["a"]))
    assert error.line == 1
    assert message in str(error)


def test_claim_topic_outside_the_given_topic_list() -> None:
    error = bad(csv_text(["id", "claim:c1 [astrology] Stars rule"], ["a"]), topics=["ethics"])
    assert (error.line, error.column) == (1, "claim:c1")


def test_row_with_more_cells_than_the_header() -> None:
    error = bad(csv_text(["id", "topics"], ["a", "ethics", "surplus"]))
    assert error.line == 2
    assert "3 cells but the header names 2 columns" in error.reason


@pytest.mark.parametrize("text", ["", "   \n\n"])
def test_empty_file(text: str) -> None:
    assert "empty" in str(bad(text))


def test_header_without_rows() -> None:
    error = bad("id,topics\n")
    assert error.line == 1
    assert "no participant rows" in error.reason


def test_broken_csv_quoting() -> None:
    error = bad('id,topics\nalice,"ethics\n')
    assert "not valid CSV" in error.reason


def test_json_syntax_error_has_line_and_character() -> None:
    error = bad('{\n  "participants": [\n    {"id": "alice",}\n  ]\n}', kind="json")
    assert error.line == 3
    assert isinstance(error.column, int)
    assert str(error).startswith(f"line 3, column {error.column}: not valid JSON")


def test_json_that_is_not_an_object() -> None:
    error = bad('[{"id": "alice"}]')
    assert error.line == 1
    assert "expected a JSON object" in error.reason


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_bytes(b"id,topics\nalice,ethics\nb\xe9atrice,ethics\n")
    error = bad(str(path))
    assert error.line == 3
    assert "UTF-8" in error.reason


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormExportError, match="no such file"):
        load_document(tmp_path / "nope.csv")


# --------------------------------------------------------------------------
# "What are you looking for?"


@pytest.mark.parametrize(
    ("cell", "looking_for"),
    [
        ("dialogue", ["dialogue"]),
        ("Debate", ["dialogue"]),
        ("be interviewed", ["interview_me"]),
        ("Interview someone", ["interview_them"]),
        ("Debate, Be interviewed", ["dialogue", "interview_me"]),
        ("dialogue; debate; interview someone", ["dialogue", "interview_them"]),
        ("getting interviewed", ["interview_me"]),
    ],
)
def test_looking_for_accepts_the_words_people_write(cell: str, looking_for: list[str]) -> None:
    document = load_document(csv_text(["id", "What are you looking for?"], ["a", f'"{cell}"']))
    assert person(document, "a")["looking_for"] == looking_for


def test_a_blank_looking_for_leaves_the_default_dialogue() -> None:
    document = load_document(csv_text(["id", "looking for"], ["a", ""]))
    assert "looking_for" not in person(document, "a")


def test_debate_is_a_dialogue_that_seeks_disagreement() -> None:
    document = load_document(
        csv_text(["id", "looking for", "disagreement"], ["a", "debate", ""], ["b", "dialogue", ""])
    )
    assert person(document, "a")["disagreement"] == "seek"
    assert "disagreement" not in person(document, "b")


def test_debate_with_avoid_is_a_contradiction_named_at_its_column() -> None:
    error = bad(csv_text(["id", "disagreement", "looking for"], ["a", "avoid", "debate"]))
    assert error.line == 2
    assert error.column == "looking for"
    assert '"debate" means disagreement seek' in error.reason


def test_an_unknown_looking_for_word_names_the_column() -> None:
    error = bad(csv_text(["id", "looking for"], ["b"], ["a", "a chat"]))
    assert (error.line, error.column) == (3, "looking for")
    assert 'got "a chat"' in error.reason
    assert '"be interviewed"' in error.reason
