"""What each column of a form file is: a rule per column, each with the reason it was chosen.

Two ways in. A file with an ``id`` column is in matchmaker's own layout
(docs/form-export.md): every header must be one of our names, and anything else is an
error, so that a typo ("sycn") never drops everyone's answers. Any other file is a form
tool's export, whose headers are question texts: its columns are *guessed* from the
header (keywords, the tools' own column names, Google's ``Question [Row]`` grids) and
from the answers (Likert words, e-mail addresses, timezone names, format choices...).
A column no rule can place, or that two rules claim, is *ambiguous*: the command then
stops and proposes a mapping file to edit (`bot.formfiles.mapping`).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bot.formfiles import cells
from bot.formfiles.errors import FormFileError
from bot.formfiles.table import Table

__all__ = [
    "KINDS",
    "AmbiguousColumns",
    "Guess",
    "Rule",
    "guess_columns",
    "header_key",
    "own_layout",
]

# Every kind a column may have, with the words the mapping file and the printout use.
KINDS: dict[str, str] = {
    "id": "the participant's id, as written",
    "email": "e-mail address: the contact, and the id when there is no id column",
    "name": "the person's name (several name columns are joined)",
    "respondent": "the form tool's respondent id: the id when there is no e-mail or name",
    "submitted": "when the answer was sent: a person's latest answer is kept",
    "about": "free text shown in the intro, e.g. what they'd like to talk about",
    "topics": "topics chosen (or, with choice = ..., one option of a topics question)",
    "claim": "a statement rated from strongly disagree to strongly agree",
    "format": "how they'd like to talk: live, async, either",
    "sync": "how they rate a live conversation: great, okay or no",
    "async": "how they rate an async conversation: great, okay or no",
    "timezone": "their timezone (Europe/Berlin, UTC+1)",
    "availability": "weekly windows (mon 18:00-21:00; weekday evenings)",
    "disagreement": "appetite for disagreement: seek, neutral or avoid",
    "looking_for": "what they want: dialogue, debate (seeks disagreement), be interviewed, "
    "interview someone",
    "wants": "people they'd like to talk with, by name or e-mail",
    "blocks": "people they must not be paired with, by name or e-mail",
    "priority": "a whole number >= 0 that raises their claim to a partner",
    "paused": "yes: keep them out of this round",
    "history": "earlier partners as '<id> <rounds ago>'",
    "ignore": "not used",
}


@dataclass(frozen=True)
class Rule:
    """What one column is, and why."""

    index: int
    header: str
    kind: str
    why: str
    claim: str | None = None  # kind "claim": the claim id
    text: str | None = None  # kind "claim": the claim's text
    topics: tuple[str, ...] = ()  # kind "claim": its topic ids
    scale: str | None = None  # kind "claim": numbers on this scale (cells.SCALES)
    choice: str | None = None  # an option column: the option this column stands for
    day: str | None = None  # an availability grid row: its day
    strict: bool = False  # matchmaker's own spellings only
    candidates: tuple[str, ...] = ()  # ambiguous: what else it could be
    ambiguous: bool = False


@dataclass(frozen=True)
class Guess:
    rules: tuple[Rule, ...]
    layout: str  # "matchmaker", "Google Forms", "Microsoft Forms", "Typeform", "Tally", "a form"

    @property
    def ambiguous(self) -> list[Rule]:
        return [rule for rule in self.rules if rule.ambiguous]


class AmbiguousColumns(Exception):
    """Some columns could not be placed with confidence; ``guess`` holds every rule."""

    def __init__(self, guess: Guess):
        self.guess = guess
        names = ", ".join(f'"{r.header}"' for r in guess.ambiguous)
        super().__init__(f"cannot tell what these columns are: {names}")


def header_key(cell: str) -> str:
    """Case- and spacing-insensitive form of a header cell."""
    return re.sub(r"[\s_-]+", " ", cell.strip().lower()).strip()


# --------------------------------------------------------------------------
# matchmaker's own layout

_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "member", "member id", "participant", "participant id", "user", "user id"),
    "topics": ("topics", "topic", "interests"),
    "sync": ("sync", "format sync", "sync format"),
    "async": ("async", "format async", "async format"),
    "timezone": ("timezone", "time zone", "tz"),
    "availability": ("availability", "available", "availability windows"),
    "disagreement": ("disagreement", "disagreement appetite"),
    "looking_for": (
        "looking for",
        "what are you looking for",
        "what are you looking for?",
        "conversation kind",
        "kind",
    ),
    "wants": ("wants", "want", "wants to talk with"),
    "blocks": ("blocks", "block", "blocked"),
    "priority": ("priority",),
    "paused": ("paused", "pause", "snoozed"),
    "history": ("history", "met", "previous partners"),
}
ALIAS_TO_KIND = {alias: kind for kind, names in _FIELD_ALIASES.items() for alias in names}

# Columns a spreadsheet form adds on its own or that hold free text the engine does not
# use; in our own layout any other unknown column is an error.
_OWN_IGNORED = {
    "timestamp": "submitted",
    "name": "name",
    "display name": "name",
    "email": "email",
    "email address": "email",
    "about": "about",
    "talk about": "about",
    "what i'd like to talk about": "about",
    "notes": "ignore",
    "private notes": "ignore",
    "publish": "ignore",
    "participation": "ignore",
    "comment": "ignore",
    "comments": "ignore",
}

_CLAIM_HEADER = re.compile(
    r"""^claim\s*:\s*(?P<id>[^\s\[\]:]+)          # claim:<id>
        \s*(?:\[(?P<topics>[^\]]*)\])?            # optional [topic; topic]
        \s*[-:–—]?\s*(?P<text>.*)$                # optional text
    """,
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)

_MS_FORMS = {"start time", "completion time"}


def own_layout(header: Sequence[str]) -> bool:
    """A file in matchmaker's documented layout: it has an ``id`` column.

    Microsoft Forms also writes an "ID" column, the response number; its "Start time"
    and "Completion time" columns tell it apart.
    """
    keys = {header_key(h) for h in header}
    return not keys >= _MS_FORMS and any(ALIAS_TO_KIND.get(k) == "id" for k in keys)


def _claim_rule(index: int, header: str, why: str) -> Rule | None:
    match = _CLAIM_HEADER.match(header)
    if not match:
        return None
    claim_id = match["id"]
    topics = tuple(cells.topic_id(t) for t in cells.split_list(match["topics"] or ""))
    text = " ".join(match["text"].split()) or claim_id
    return Rule(index, header, "claim", why, claim=claim_id, text=text, topics=topics, strict=True)


def _own_rules(table: Table) -> list[Rule]:
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    claims: set[str] = set()
    for index, header in enumerate(table.header):
        key = header_key(header)
        if key.startswith("#"):
            rules.append(Rule(index, header, "ignore", "a column of your own (starts with #)"))
            continue
        if key in _OWN_IGNORED:
            kind = _OWN_IGNORED[key]
            rules.append(Rule(index, header, kind, f"matchmaker's column name for {kind}"))
            continue
        claim = _claim_rule(index, header, "a claim:<id> column")
        if claim is not None:
            if claim.claim in claims:
                raise FormFileError(
                    f"claim {claim.claim!r} has two columns",
                    line=table.header_line,
                    column=f"claim:{claim.claim}",
                )
            claims.add(claim.claim or "")
            rules.append(claim)
            continue
        kind = ALIAS_TO_KIND.get(key)
        if kind is None:
            raise FormFileError(_unknown_column_reason(key), line=table.header_line, column=header)
        if kind in seen:
            raise FormFileError(
                f'same field as column "{seen[kind]}"; keep one of them',
                line=table.header_line,
                column=header,
            )
        seen[kind] = header
        why = "matchmaker's column name" + ("" if key == kind else f" (an alias of {kind})")
        rules.append(Rule(index, header, kind, why, strict=True))
    return rules


def _unknown_column_reason(key: str) -> str:
    known = [*ALIAS_TO_KIND, *_OWN_IGNORED]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    return (
        f"unknown column; {hint}claims are 'claim:<id> <text>', and columns to keep "
        "but ignore start with '#' (a file with an id column is read in matchmaker's "
        "own layout; see docs/form-export.md)"
    )


# --------------------------------------------------------------------------
# form tools: headers


def _layout(keys: set[str], first: str) -> str:
    if keys >= _MS_FORMS:
        return "Microsoft Forms"
    if "#" in keys and any(k.startswith("submit date") for k in keys):
        return "Typeform"
    if keys & {"submission id", "respondent id", "submitted at"}:
        return "Tally"
    if _TOOL_COLUMNS.get(first, ("", ""))[1].startswith("Google Forms' submission"):
        return "Google Forms"
    return "a form"


# The form tools' own columns, by their header.
_TOOL_COLUMNS: dict[str, tuple[str, str]] = {
    "timestamp": ("submitted", "Google Forms' submission time"),
    "completion time": ("submitted", "Microsoft Forms' submission time"),
    "submitted at": ("submitted", "Tally's submission time"),
    "submit date (utc)": ("submitted", "Typeform's submission time"),
    "start time": ("ignore", "Microsoft Forms' time the form was opened"),
    "last modified time": ("ignore", "Microsoft Forms' edit time"),
    "id": ("ignore", "the form tool's response number"),
    "#": ("ignore", "Typeform's response token"),
    "submission id": ("ignore", "Tally's response id"),
    "respondent id": ("respondent", "Tally's respondent id"),
    "start date (utc)": ("ignore", "Typeform's time the form was opened"),
    "stage date (utc)": ("ignore", "Typeform's staging time"),
    "network id": ("ignore", "Typeform's network id"),
    "tags": ("ignore", "Typeform's tags"),
    "response type": ("ignore", "Typeform's response type"),
    "email address": ("email", "Google Forms' collected e-mail address"),
    # Google Forms in other languages names its own columns in that language.
    "zeitstempel": ("submitted", "Google Forms' submission time (German)"),
    "horodateur": ("submitted", "Google Forms' submission time (French)"),
    "marca temporal": ("submitted", "Google Forms' submission time (Spanish)"),
    "informazioni cronologiche": ("submitted", "Google Forms' submission time (Italian)"),
    "carimbo de data/hora": ("submitted", "Google Forms' submission time (Portuguese)"),
    "dirección de correo electrónico": ("email", "Google Forms' e-mail address (Spanish)"),
    "adresse e-mail": ("email", "Google Forms' e-mail address (French)"),
    "endereço de e-mail": ("email", "Google Forms' e-mail address (Portuguese)"),
}
_TOOL_COLUMNS = {header_key(k): v for k, v in _TOOL_COLUMNS.items()}

# (kind, pattern on the header key, description). First match wins; order matters:
# "Who would you rather not be paired with?" is a block before it is a want.
_HEADER_RULES: tuple[tuple[str, str, str], ...] = (
    (
        "blocks",
        r"\bnot (?:be )?(?:paired|matched)\b|\brather not (?:talk|meet|be)\b"
        r"|\bdon'?t want to (?:talk|meet|be paired)\b|\bblock",
        "the header asks whom to avoid",
    ),
    (
        "wants",
        r"\b(?:like|want|love|hope) to (?:talk|speak|meet|dialogue|chat) (?:with|to)\b"
        r"|\bwho would you like to\b",
        "the header asks whom they would like to meet",
    ),
    (
        "looking_for",
        r"\blooking for\b|\bwhat (?:kind|sort) of (?:conversation|dialogue|exchange)"
        r"|\binterlocutor\b|\binterview",
        "the header asks what they are looking for",
    ),
    ("email", r"\be ?mail\b", "the header asks for an e-mail address"),
    (
        "name",
        r"^(?:your |full |first |last |display |preferred )?name\b|\bsurname\b"
        r"|what(?:'s| is) your (?:full )?name|what should we call you",
        "the header asks for a name",
    ),
    ("timezone", r"\btime ?zone\b|\btz\b", "the header names a timezone"),
    (
        "availability",
        r"\bavailab|\bwhen (?:are|can) you\b|\bfree (?:time|slots)\b",
        "the header asks when they are free",
    ),
    (
        "disagreement",
        r"\bdisagreement\b|\bchallenged\b|\bwho disagrees?\b",
        "the header asks about their appetite for disagreement",
    ),
    (
        "format",
        r"\bformat\b|\bsync\b|\blive or\b|\bhow would you like to (?:talk|meet|have)",
        "the header asks how they would like to talk",
    ),
    (
        "topics",
        r"\btopics?\b|\bsubjects?\b|\binterests?\b|\binterested in\b|\bdiscuss\b",
        "the header asks for topics",
    ),
    (
        "about",
        r"\babout (?:you|yourself)\b|\bintroduc|\bbio\b|\btell us\b|\btalk about\b",
        "the header asks for an introduction",
    ),
    (
        "ignore",
        r"\banything else\b|\bcomments?\b|\bnotes?\b|\bfeedback\b|\bhow did you hear\b",
        "the header asks for a remark the matching does not use",
    ),
)

_GRID = re.compile(r"^(?P<question>.*?)\s*\[(?P<row>[^\[\]]+)\]$", re.DOTALL)


# --------------------------------------------------------------------------
# form tools: answers

_COUNTING = re.compile(r"^(?:how (?:many|often|old|long)|age\b|year)|\bnumber of\b")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


def _nonblank(values: Sequence[str]) -> list[str]:
    return [v.strip() for v in values if v.strip()]


def _parses(values: Sequence[str], parse: Callable[[str], object]) -> bool:
    try:
        for value in values:
            parse(value)
    except ValueError:
        return False
    return True


def _stance_scale(
    values: Sequence[str], *, tolerant: bool = False
) -> tuple[str | None, bool] | None:
    """(scale, sure) when every answer is a stance; None when some answer is not one.

    ``tolerant``: three answers in four are enough, so that one mistyped answer in a
    column of Likert words is reported as a bad cell rather than making the column
    unplaceable.
    """
    numbers: list[float] = []
    odd = 0
    for value in values:
        if cells.is_stance_word(value):
            continue
        number = cells.stance_number(value)
        if number is None or not number.is_integer():
            odd += 1
            continue
        numbers.append(number)
    if odd and not (tolerant and len(values) >= 4 and odd * 4 <= len(values)):
        return None
    if not numbers:
        return None, True
    low, high = min(numbers), max(numbers)
    if low >= -2 and high <= 2 and low <= 0:
        return "-2..2", True
    if low >= 1 and high <= 5:
        # Only 1s and 2s could be either scale: the person running it must say.
        return "1-5", high >= 3
    if low >= 0 and high <= 10:
        return "0-10", True
    return None


def _is_free_text(values: Sequence[str]) -> bool:
    if not values:
        return False
    long = sum(len(v) > 40 for v in values)
    distinct = len(set(values)) / len(values)
    return long >= max(1, len(values) // 3) and distinct > 0.7


def _choice_items(values: Sequence[str], sep: str) -> Counter[str]:
    return Counter(item for v in values for item in cells.split_list(v, sep))


def _looks_multiple_choice(values: Sequence[str], sep: str) -> bool:
    if not values or _is_free_text(values):
        return False
    items = _choice_items(values, sep)
    several = any(len(cells.split_list(v, sep)) > 1 for v in values)
    repeated = sum(items.values()) > len(items)
    return several and repeated and len(items) <= 40


def _names_people(values: Sequence[str], people: set[str], sep: str) -> bool:
    items = [cells.words(i) for i in _choice_items(values, sep)]
    if not items or not people:
        return False
    return sum(i in people or i.split(" ")[0] in people for i in items) * 2 >= len(items)


# --------------------------------------------------------------------------
# form tools: the guess


def guess_columns(table: Table, *, fixed: dict[int, Rule] | None = None) -> Guess:
    """A rule for every column of ``table``; ``fixed`` rules (from a mapping file) win."""
    fixed = fixed or {}
    for index, header in enumerate(table.header):
        if not header:
            raise FormFileError(
                f"header cell {index + 1} is empty; every column needs a name",
                line=table.header_line,
            )
    if own_layout(table.header) and not fixed:
        return Guess(tuple(_own_rules(table)), "matchmaker")
    keys = [header_key(h) for h in table.header]
    layout = _layout(set(keys), keys[0] if keys else "")
    rules: dict[int, Rule] = dict(fixed)
    values = {i: _nonblank(table.column(i)) for i in range(len(table.header))}

    # 1. The tool's own columns, our own names, claim: columns.
    for index, header in enumerate(table.header):
        if index not in rules:
            rule = _by_name(index, header, keys[index], values[index], layout)
            if rule is not None:
                rules[index] = rule

    # 2. Typeform writes one column per option of a multiple-choice question; its
    # headers are the options ("Be interviewed"), not questions for keywords.
    _option_groups(table, keys, values, rules)

    # 3. Keywords of the question.
    for index, header in enumerate(table.header):
        if index not in rules and not _GRID.match(header):
            rule = _by_keywords(index, header, keys[index], values[index], layout)
            if rule is not None:
                rules[index] = rule

    # 4. Google grids: "Question [Row]".
    _grids(table, values, rules)

    # 5. The answers decide the rest.
    people = _people(table, rules)
    for index, header in enumerate(table.header):
        if index not in rules:
            sep = cells.list_separators(values[index], layout)
            rules[index] = _by_values(index, header, values[index], people, sep)

    _settle_topics(rules)
    _number_claims(rules)
    ordered = tuple(rules[i] for i in range(len(table.header)))
    return Guess(ordered, layout)


def _by_name(index: int, header: str, key: str, values: list[str], layout: str) -> Rule | None:
    if values and all(cells.words(v) == "anonymous" for v in values):
        # Microsoft Forms writes "anonymous" in Email and Name when it records neither.
        return Rule(index, header, "ignore", "every answer is 'anonymous': not recorded")
    if key in _TOOL_COLUMNS and not (key == "id" and layout == "a form"):
        kind, what = _TOOL_COLUMNS[key]
        return Rule(index, header, kind, f"header: {what}")
    if key.startswith("#") and key != "#":
        return Rule(index, header, "ignore", "a column of your own (starts with #)")
    claim = _claim_rule(index, header, "header: a claim:<id> column")
    if claim is not None:
        return claim
    if _GRID.match(header):
        return None  # grids are read as a group
    kind = ALIAS_TO_KIND.get(key)
    if kind is not None and kind != "id":
        return Rule(index, header, kind, f'header: matchmaker\'s column name "{key}"')
    return None


def _by_keywords(index: int, header: str, key: str, values: list[str], layout: str) -> Rule | None:
    for kind, pattern, why in _HEADER_RULES:
        if not re.search(pattern, key):
            continue
        if kind in ("topics", "about") and values:
            # "What would you like to talk about?" is a choice or free text by its answers.
            if _is_free_text(values):
                return Rule(index, header, "about", f"{why}, answered in free text")
            if kind == "about" and _looks_multiple_choice(
                values, cells.list_separators(values, layout)
            ):
                continue
        sep = cells.list_separators(values, layout)
        if kind == "looking_for" and not _parses(
            values, lambda v, sep=sep: cells.parse_looking_for(v, sep, strict=False)
        ):
            continue  # "Who are you looking for?" answered with names
        if kind in ("format", "disagreement", "availability", "timezone") and values:
            parse = {
                "format": lambda v, sep=sep: cells.parse_format_answer(v, sep),
                "disagreement": lambda v: cells.parse_appetite(v, strict=False),
                "availability": lambda v: cells.parse_availability(v, strict=False),
                "timezone": lambda v: cells.parse_timezone(v, strict=False),
            }[kind]
            if not _parses(values, parse) and _stance_scale(values) is not None:
                continue  # "How much do you agree: live dialogue beats text?" is a claim
        return Rule(index, header, kind, why)
    return None


def _option_groups(
    table: Table, keys: list[str], values: dict[int, list[str]], rules: dict[int, Rule]
) -> None:
    """Runs of two or more columns whose every answer is blank or the column's own
    header: the options of one multiple-choice question (Typeform's CSV layout)."""
    run: list[int] = []

    def close() -> None:
        if len(run) >= 2:
            labels = [table.header[i] for i in run]
            sides = [cells.format_side(label) for label in labels]
            kind = "format" if all(sides) else "topics"
            if _parses(labels, lambda label: cells.parse_looking_for(label, strict=False)):
                kind = "looking_for"
            what = {"format": "formats", "topics": "topics", "looking_for": "what they want"}[kind]
            for i in run:
                rules[i] = Rule(
                    i,
                    table.header[i],
                    kind,
                    f"one option of a multiple-choice question ({', '.join(labels)}): "
                    f"each answer is blank or the option itself; read as {what}",
                    choice=table.header[i],
                )
        run.clear()

    for index, header in enumerate(table.header):
        own = values[index]
        is_option = (
            index not in rules
            and bool(own)
            and all(
                cells.words(v) == keys[index] or cells.words(v) == cells.words(header) for v in own
            )
        )
        if is_option:
            run.append(index)
        else:
            close()
    close()


def _grids(table: Table, values: dict[int, list[str]], rules: dict[int, Rule]) -> None:
    groups: dict[str, list[tuple[int, str]]] = {}
    for index, header in enumerate(table.header):
        match = _GRID.match(header)
        if index not in rules and match:
            groups.setdefault(match["question"].strip(), []).append((index, match["row"].strip()))
    for question, members in groups.items():
        key = header_key(question)
        row_days = [_day_of(row) for _, row in members]
        row_sides = [cells.format_side(row) for _, row in members]
        answers = [v for i, _ in members for v in values[i]]
        if all(d is not None for d in row_days) and re.search(r"availab|when|free|time", key):
            for (i, row), day in zip(members, row_days, strict=True):
                rules[i] = Rule(
                    i,
                    table.header[i],
                    "availability",
                    f'a grid row of "{question}": the times they are free on {row}',
                    day=day,
                )
            continue
        if all(s in ("sync", "async") for s in row_sides) and _parses(
            answers, lambda v: cells.parse_level(v, strict=False)
        ):
            for (i, row), side in zip(members, row_sides, strict=True):
                rules[i] = Rule(
                    i,
                    table.header[i],
                    side or "sync",
                    f'a grid row of "{question}": how they rate {row}',
                )
            continue
        for i, row in members:
            scale = _stance_scale(values[i], tolerant=True) if values[i] else (None, True)
            if scale is None:
                rules[i] = _unplaced(i, table.header[i], f'a grid row of "{question}"')
                continue
            rules[i] = Rule(
                i,
                table.header[i],
                "claim",
                f'a grid row of "{question}" answered on an agree–disagree scale'
                + (f" ({scale[0]})" if scale[0] else ""),
                text=row,
                scale=scale[0],
                ambiguous=not scale[1],
                candidates=("claim scale 1-5", "claim scale -2..2") if not scale[1] else (),
            )


def _day_of(text: str) -> str | None:
    try:
        return ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[cells.parse_day(text)]
    except ValueError:
        return None


def _people(table: Table, rules: dict[int, Rule]) -> set[str]:
    """Names and e-mail addresses of the respondents, to recognise wants and blocks."""
    people: set[str] = set()
    for index, rule in rules.items():
        if rule.kind in ("email", "name", "id"):
            for value in table.column(index):
                if value.strip():
                    people.add(cells.words(value))
                    people.add(cells.words(value).split(" ")[0])
    return people


def _by_values(index: int, header: str, values: list[str], people: set[str], sep: str) -> Rule:
    if not values:
        return _unplaced(index, header, "nobody answered it")
    if all(_EMAIL.match(v) for v in values):
        return Rule(index, header, "email", "every answer is an e-mail address")
    scale = _stance_scale(values, tolerant=True)
    numeric = any(cells.stance_number(v) is not None for v in values)
    if scale is not None and numeric and _COUNTING.search(header_key(header)):
        scale = None  # "How many dialogues a month?" answered 1-3 is a count, not a stance
    if scale is not None:
        why = (
            f"the answers are numbers on a {scale[0]} scale"
            if numeric
            else "the answers are agree–disagree words"
        )
        return Rule(
            index,
            header,
            "claim",
            f"{why}: a claim, its text the header",
            text=header,
            scale=scale[0],
            ambiguous=not scale[1],
            candidates=("claim scale 1-5", "claim scale -2..2") if not scale[1] else (),
        )
    if _parses(values, lambda v: cells.parse_timezone(v, strict=True)):
        return Rule(index, header, "timezone", "every answer is a timezone name")
    if _names_people(values, people, sep):
        return Rule(
            index,
            header,
            # Left out until the organiser says: a guessed "wants" that was meant as
            # "blocks" would pair exactly the people who asked not to be.
            "ignore",
            "the answers name other respondents, but the header does not say whether "
            "they want or avoid them",
            ambiguous=True,
            candidates=("wants", "blocks"),
        )
    if _parses(values, lambda v: cells.parse_format_answer(v, sep)) and all(
        cells.format_side(i) for v in values for i in cells.split_list(v, sep)
    ):
        return Rule(index, header, "format", "every answer names a format (live, async, either)")
    if _is_free_text(values):
        return Rule(index, header, "ignore", "free text (long, mostly different answers)")
    if _looks_multiple_choice(values, sep):
        return Rule(
            index,
            header,
            "topics",
            "a multiple-choice question whose header does not name topics",
            ambiguous=True,
            candidates=("topics", "ignore"),
        )
    return _unplaced(index, header, "neither its header nor its answers say what it is")


def _unplaced(index: int, header: str, why: str) -> Rule:
    return Rule(index, header, "ignore", why, ambiguous=True)


def _settle_topics(rules: dict[int, Rule]) -> None:
    """A lone multiple-choice column is the topics question when no header named one."""
    named = [r for r in rules.values() if r.kind == "topics" and not r.ambiguous]
    unsure = [r for r in rules.values() if r.kind == "topics" and r.ambiguous]
    if not named and len(unsure) == 1:
        rule = unsure[0]
        rules[rule.index] = replace(
            rule,
            why="the only multiple-choice question, so the topics",
            ambiguous=False,
            candidates=(),
        )


def _number_claims(rules: dict[int, Rule]) -> None:
    """Claims without an id get c1, c2, ... in column order, skipping ids in use."""
    used = {r.claim for r in rules.values() if r.kind == "claim" and r.claim}
    number = 0
    for index in sorted(rules):
        rule = rules[index]
        if rule.kind != "claim" or rule.claim:
            continue
        number += 1
        while f"c{number}" in used:
            number += 1
        rules[index] = replace(rule, claim=f"c{number}", text=rule.text or rule.header)
