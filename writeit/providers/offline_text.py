"""What the offline models write: text that fits the step, in two voices, from the prompt alone.

Deterministic for a given prompt, model and seed, so tests and snapshots are stable.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass

HEADING = re.compile(r"^#{2,3}\s+(.+?)\s*$", re.MULTILINE)
NUMBERED = re.compile(r"^\s*\d+[.)]\s+\**(.+?)\**\s*(?:\s—\s.*)?$", re.MULTILINE)
# A section step's prompt names its section (`Write the section "..."`, `Section "..."`) and
# follows it with the section's notes; the shipped section prompts say it this way.
SECTION = re.compile(r'^\s*(?:Write the section|Section) "(.+?)"[^\n]*\n', re.MULTILINE)
BOLD_LEAD = re.compile(r"^\s*\*\*(.+?)\*\*", re.MULTILINE)
FEEDBACK = re.compile(r"The writer gave this feedback on a previous answer:\n(.+?)\n", re.DOTALL)
COUNT_WORDS = {"four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
EXACT_COUNT = re.compile(r"exactly (\w+) sections", re.IGNORECASE)


@dataclass(frozen=True)
class Voice:
    name: str
    angle_frames: tuple[str, ...]
    openers: tuple[str, ...]
    connectors: tuple[str, ...]
    closers: tuple[str, ...]


WRITER = Voice(
    name="writer",
    angle_frames=(
        "The hidden cost of {t}: what nobody tells {a} until it is too late",
        "{T} from first principles: a guided tour for {a}",
        "Five mistakes {a} make with {t}, and how to avoid them",
        "Why {t} matters more now than it did five years ago",
        "A field guide to {t}: lessons from teams who shipped it",
        "{T} in practice: a story of one migration, start to finish",
        "The case against {t} (and why it mostly fails)",
    ),
    openers=(
        "Most {a} meet {t} at the worst possible moment: in production, under pressure.",
        "Ask ten {a} what {t} is for and you will hear eleven answers.",
        "There is a quiet moment in every project when {t} stops being optional.",
    ),
    connectors=(
        "That sounds simple, and it is, until the details arrive.",
        "The interesting part is what happens next.",
        "Here the trade-offs become concrete.",
        "This is where experience pays for itself.",
        "It helps to look at a real example.",
    ),
    closers=(
        "None of this requires heroics; it requires attention.",
        "Start small, measure, and let the results argue for you.",
        "The best time to get this right is before you need it.",
    ),
)

EDITOR = Voice(
    name="editor",
    angle_frames=(
        "{T}, explained in ten minutes for busy {a}",
        "A checklist for {t}: what to verify before you ship",
        "{T} by the numbers: costs, benefits and break-even points",
        "What changed in {t} this year, and what it means for {a}",
        "{T} without the hype: a sober assessment",
        "Three patterns for {t} that survive contact with reality",
        "How to explain {t} to your team in one meeting",
    ),
    openers=(
        "{T} is easy to describe and hard to do well.",
        "This article answers one question: how should {a} approach {t}?",
        "The short version: {t} rewards preparation and punishes improvisation.",
    ),
    connectors=(
        "In short, the details decide.",
        "The evidence points one way.",
        "Two consequences follow.",
        "Consider the alternative.",
        "Put plainly, simplicity wins.",
    ),
    closers=(
        "Decide deliberately, write it down, and revisit it quarterly.",
        "Measure first; opinions come second.",
        "Keep it boring, and it will keep working.",
    ),
)

VOICES = {"writer": WRITER, "editor": EDITOR}


def _rng(prompt: str, model: str, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{model}\x00{seed}\x00{prompt}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


INTENT_WORDS = (
    ("angles", ("angle", "idea", "headline", "subject")),
    ("outline", ("outline", "structure", "plan")),
    ("polish", ("polish", "tighten", "edit", "proofread", "revise")),
    ("draft", ("draft", "write", "article", "post", "issue")),
)


def intent_of(step: str, prompt: str) -> str:
    """Which kind of text the step wants: angles, outline, draft, polish or prose."""
    for text in (step.lower(), prompt[:200].lower()):
        for intent, words in INTENT_WORDS:
            if any(w in text for w in words):
                return intent
    return "prose"


def compose(prompt: str, model: str, step: str, inputs: dict[str, str], seed: int = 0) -> str:
    """The full text the offline model `model` answers to `prompt`."""
    voice = VOICES.get(model, WRITER)
    rng = _rng(prompt, model, seed)
    topic = (inputs.get("topic") or _first_line(prompt) or "the topic").strip().rstrip(".")
    audience = (inputs.get("audience") or "readers").strip()
    fill = {"t": topic, "T": topic[:1].upper() + topic[1:], "a": audience}
    intent = intent_of(step, prompt)
    section = SECTION.search(prompt)
    if section is not None:
        text = _section(voice, rng, fill, prompt, section, polish=intent == "polish")
    elif intent == "angles":
        text = _angles(voice, rng, fill)
    elif intent == "outline":
        text = _outline(voice, rng, fill, _chosen_angle(prompt) or fill["T"], prompt)
    elif intent == "polish":
        text = _polish(voice, rng, fill, prompt)
    else:
        text = _draft(voice, rng, fill, prompt)
    feedback = FEEDBACK.search(prompt)
    if feedback is None:
        return text
    # Feedback visibly changes the answer: its first line says what it follows.
    return f"*Revised to follow your note: {feedback.group(1).strip()}*\n\n{text}"


def _first_line(prompt: str) -> str:
    return next((ln for ln in prompt.splitlines() if ln.strip()), "")[:60]


def _chosen_angle(prompt: str) -> str | None:
    """The angle quoted in an outline prompt: a numbered line, else (an item chosen alone)
    a line that starts with a bold title."""
    m = NUMBERED.search(prompt) or BOLD_LEAD.search(prompt)
    return m.group(1).strip() if m else None


def _angles(voice: Voice, rng: random.Random, fill: dict[str, str]) -> str:
    frames = rng.sample([f for f in voice.angle_frames if _fits(f, fill["t"])], 5)
    lines = [f"Five angles for an article on {fill['t']}:", ""]
    for i, frame in enumerate(frames, 1):
        title = frame.format(**fill)
        why = rng.choice(voice.connectors)
        lines.append(f"{i}. **{title}** — {why} It speaks to {fill['a']} directly.")
    return "\n".join(lines) + "\n"


def _fits(frame: str, topic: str) -> bool:
    """Whether `frame` reads well around `topic`: "{T} in practice: ..." does not when the topic
    already ends with "in practice" (it wrote "compilers in practice in practice")."""
    if not frame.startswith("{T} "):
        return True
    words = frame[4:].split(":", 1)[0].lower()
    return not topic.lower().endswith(words)


def _outline(
    voice: Voice, rng: random.Random, fill: dict[str, str], angle: str, prompt: str
) -> str:
    sections = [
        ("Introduction", f"Why {fill['t']} deserves attention now"),
        ("The problem", f"Where {fill['a']} get stuck with {fill['t']}"),
        ("How it works", f"The core ideas behind {fill['t']}, without jargon"),
        ("In practice", "A worked example with real trade-offs"),
        ("Pitfalls", "What goes wrong and how to notice early"),
        ("Conclusion", "What to do on Monday morning"),
    ]
    if voice is EDITOR:
        sections = [sections[0], sections[2], sections[3], sections[5]]
    asked = EXACT_COUNT.search(prompt)
    count = COUNT_WORDS.get(asked.group(1).lower(), 0) if asked else 0
    extra = [
        ("A closer look", f"The details of {fill['t']} that matter most"),
        ("Measuring it", "How to tell whether it worked"),
        ("Costs", "What it costs in time, money and attention"),
    ]
    sections = (sections[:-1] + extra)[: count - 1] + sections[-1:] if count else sections
    out = [f"# {angle}", ""]
    for title, summary in sections:
        more = rng.sample(NOTES.get(title, NOTES["A closer look"]), 2 if voice is EDITOR else 3)
        out += [f"## {title}", f"- {summary}", *(f"- {n.format(**fill)}" for n in more), ""]
    return "\n".join(out)


# Further notes an outline section lists under its first: what a section step then writes about.
NOTES = {
    "Introduction": (
        "A moment when {t} suddenly mattered",
        "What this article promises {a}",
        "The one question the rest of the article answers",
    ),
    "The problem": (
        "The symptom {a} notice first",
        "Why the obvious fix falls short",
        "What it costs to leave it alone",
    ),
    "How it works": (
        "The one idea everything else follows from",
        "A small example that shows it",
        "Where the abstraction leaks",
    ),
    "In practice": (
        "The setup, step by step",
        "A measurement before and after",
        "The decision that mattered most",
    ),
    "Pitfalls": (
        "The mistake almost everyone makes once",
        "Warning signs in logs and reviews",
        "When {t} is the wrong tool",
    ),
    "Conclusion": (
        "The three things to remember",
        "A first step for this week",
        "Where to go deeper",
    ),
    "A closer look": (
        "The detail that decides the outcome",
        "A counter-example worth knowing",
        "What experienced {a} check first",
    ),
    "Measuring it": (
        "The number to watch",
        "A baseline to compare against",
        "How long to wait before judging",
    ),
    "Costs": (
        "The cost nobody budgets for",
        "Time spent in review and upkeep",
        "When the cost pays back",
    ),
}


SENTENCES = (
    "Consider a team that adopts {t} on a Friday: by Monday, the gaps in its assumptions are obvious.",
    "The first question to ask is not how, but what {t} replaces.",
    "Measure before and after; {t} earns its place only when the numbers move.",
    "Most of the cost of {t} is not in the code but in the conversations around it.",
    "Documentation helps, but a small working example helps more.",
    "It is tempting to adopt every feature at once; start with the one that removes the most pain.",
    "When something breaks, the logs should say which part of {t} was involved, and why.",
    "The trade-off is real: more flexibility now means more decisions later.",
    "{T} rewards teams that write their decisions down and revisit them.",
    "If you cannot explain the failure mode, you are not ready to ship it.",
    "Small, reversible steps beat a grand migration plan almost every time.",
    "Ask what happens at ten times today's load, and at a tenth of today's budget.",
    "The people who will maintain {t} in a year rarely chose it; write for them.",
    "Automate the boring checks so that reviews can focus on the interesting ones.",
    "A checklist of five questions catches most of the surprises {a} meet here.",
    "Benchmarks on your own data are worth more than any vendor's chart.",
)
LEADS = (
    "Start with {p}.",
    "Next comes {p}.",
    "Then there is {p}.",
    "Look closely at {p}.",
    "Finally, {p}.",
)


def outline_sections(prompt: str) -> list[tuple[str, str]]:
    """(heading, first bullet) of each level-2/3 section of an outline quoted in the prompt."""
    sections: list[tuple[str, str]] = []
    for block in re.split(r"^(?=#{2,3}\s)", prompt, flags=re.MULTILINE):
        m = HEADING.match(block)
        if m:
            bullet = re.search(r"^\s*[-*]\s+(.+)$", block, re.MULTILINE)
            sections.append((m.group(1), bullet.group(1).strip().rstrip(".") if bullet else ""))
    return sections


def _draft(voice: Voice, rng: random.Random, fill: dict[str, str], prompt: str) -> str:
    skip = ("introduction", "conclusion")
    body = [s for s in outline_sections(prompt) if s[0].lower() not in skip][:5]
    if not body:
        body = [("The problem", ""), ("How it works", ""), ("In practice", "")]
    pool = rng.sample(SENTENCES, len(SENTENCES))
    title = re.search(r"^#\s+(.+)$", prompt, re.MULTILINE)
    # Titled by the outline, else by a headline chosen as an item (blog-post), else the topic.
    out = [
        f"# {title.group(1).strip() if title else _chosen_angle(prompt) or fill['T']}",
        "",
        rng.choice(voice.openers).format(**fill),
        "",
    ]
    for i, (heading, point) in enumerate(body):
        lead = LEADS[min(i, len(LEADS) - 2)] if i < len(body) - 1 else LEADS[-1]
        phrase = point[:1].lower() + point[1:] if point else heading.lower()
        said = [pool.pop().format(**fill) for _ in range(2 if voice is EDITOR else 3)]
        paragraph = " ".join([lead.format(p=phrase), rng.choice(voice.connectors), *said])
        out += [f"## {heading}", "", paragraph, ""]
    out += ["## Conclusion", "", rng.choice(voice.closers), ""]
    return "\n".join(out)


def _section(
    voice: Voice,
    rng: random.Random,
    fill: dict[str, str],
    prompt: str,
    found: re.Match[str],
    *,
    polish: bool,
) -> str:
    """One section's text, without its heading: a paragraph per note of the section (a polish
    keeps the quoted text, tighter)."""
    title = found.group(1)
    rest = prompt[found.end() :]
    # Notes run to the instructions after them: a polish quotes whole paragraphs of prose.
    notes_block = (
        rest.split("\n\nTighten", 1)[0]
        if polish
        else re.split(r"\n\s*\n(?=[A-Z])", rest, maxsplit=1)[0]
    )
    if polish:
        return _tighten(voice, notes_block)
    out: list[str] = []
    points = [
        m.group(1).strip().rstrip(".") for m in re.finditer(r"^\s*[-*]\s+(.+)$", notes_block, re.M)
    ]
    points = points[:4] or [title]
    pool = rng.sample(SENTENCES, len(SENTENCES))
    for i, point in enumerate(points):
        lead = (
            f"{title} starts with {point[:1].lower() + point[1:]}."
            if i == 0
            else (LEADS[min(i, len(LEADS) - 1)].format(p=point[:1].lower() + point[1:]))
        )
        said = [pool.pop().format(**fill) for _ in range(2 if voice is EDITOR else 3)]
        out += [" ".join([lead, rng.choice(voice.connectors), *said]), ""]
    # The article's first section opens with a hook, its last ends on what to do next. The
    # outline is quoted first; earlier sections' text may repeat its headings after it.
    headings = list(dict.fromkeys(h for h, _ in outline_sections(prompt[: found.start()])))
    if headings and headings[0] == title:
        out.insert(0, rng.choice(voice.openers).format(**fill) + "\n")
    if headings and headings[-1] == title:
        out.append(rng.choice(voice.closers))
    return "\n".join(out).strip() + "\n"


def _tighten(voice: Voice, text: str) -> str:
    """`text` without the voice's filler sentences, three sentences a paragraph at most."""
    kept = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            kept.append(line)
            continue
        sentences = re.split(r"(?<=[.!?])\s+", line.strip())
        keep = [s for s in sentences if not s.startswith(voice.connectors)] or sentences[:1]
        kept.append(" ".join(keep[:3]))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept).strip()) + "\n"


def _polish(voice: Voice, rng: random.Random, fill: dict[str, str], prompt: str) -> str:
    """A tighter version of the draft quoted in the prompt: drop filler, keep the structure."""
    start = prompt.find("# ")
    source = prompt[start:] if start >= 0 else ""
    if not source.strip():
        return _draft(voice, rng, fill, "")
    return _tighten(voice, source)


def tokens(text: str) -> list[str]:
    """Split text the way the offline models stream it: a word with its trailing space."""
    return re.findall(r"\S+\s*|\s+", text)
