"""Parse the official text of an action plan into plain data.

The document is numbered 一、 (sections) → （一） (task groups) → 1． (tasks), and each task ends
with a clause 「（牵头单位：…；配合单位：…）」. Nothing here touches the database: the result is
resolved against the unit directory and written by ``tasks.services.plan_import``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from tasks.choices import AssignmentRole, GroupKind

NUMERALS = "一二三四五六七八九十"
_SECTION_RE = re.compile(rf"^([{NUMERALS}]+)、\s*(.+)$")
_GROUP_RE = re.compile(rf"^（([{NUMERALS}]+)）\s*(.+)$")
_TASK_RE = re.compile(r"^(\d+)\s*[．.、]\s*(.+)$")
_TARGET_RE = re.compile(r"^(\d{4})年[，,]")
_YEARS_RE = re.compile(r"(\d{4})\s*年?\s*[—\-–~～至]+\s*(\d{4})\s*年")
_BOOKMARK_RE = re.compile(r"\[bookmark:[^\]]*\]")
_CLAUSE_START = "（牵头单位"
_SUPPORTING_SPLIT_RE = re.compile(r"[；;，,]\s*配合单位\s*[:：]")
_NAME_SPLIT_RE = re.compile(r"[、，,；;]")
_TIME_NODE = "时间节点："
_REQUIREMENTS = "相关要求："

# Which part of the plan a 「一、…」 heading opens, recognised by its words, not its number.
_SECTION_KINDS = {
    "工作目标": "targets",
    "主要任务": GroupKind.MAIN,
    "保障措施": GroupKind.SAFEGUARD,
    "工作要求": GroupKind.REQUIREMENT,
}


class PlanTextError(ValueError):
    """The text does not follow the numbering of an official plan."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(f"第 {line} 行：{message}" if line else message)


def chinese_numeral(number: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十."""
    if number <= 10:
        return NUMERALS[number - 1]
    tens, ones = divmod(number, 10)
    head = "" if tens == 1 else NUMERALS[tens - 1]
    return head + "十" + (NUMERALS[ones - 1] if ones else "")


def parse_numeral(text: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十三 → 23."""
    if "十" not in text:
        return NUMERALS.index(text) + 1
    head, _, tail = text.partition("十")
    tens = NUMERALS.index(head) + 1 if head else 1
    return tens * 10 + (NUMERALS.index(tail) + 1 if tail else 0)


@dataclass
class UnitMention:
    """One unit name as the clause writes it."""

    name: str
    role: str
    position: int


@dataclass
class ParsedTask:
    number: int
    title: str
    text: str
    line: int
    mentions: list[UnitMention] = field(default_factory=list)
    time_node: str = ""


@dataclass
class ParsedGroup:
    kind: str
    number: int
    title: str
    line: int
    tasks: list[ParsedTask] = field(default_factory=list)

    def code_for(self, task: ParsedTask) -> str:
        if self.kind == GroupKind.MAIN:
            return f"{self.number}.{task.number}"
        return f"{GroupKind(self.kind).code_prefix}{task.number}"


@dataclass
class ParsedPlan:
    title: str
    start_year: int
    end_year: int
    preamble: str
    closing_text: str
    targets: dict[int, str]
    groups: list[ParsedGroup]

    def all_tasks(self):
        for group in self.groups:
            for task in group.tasks:
                yield group, task


def read_plan_file(path: Path) -> str:
    """The text of a plan file: UTF-8 ``.txt`` or Word ``.docx``."""
    return plan_text_from_bytes(path.name, path.read_bytes())


def plan_text_from_bytes(filename: str, content: bytes) -> str:
    """Decode an uploaded plan. The type is checked by content, not only by the file name."""
    suffix = Path(filename).suffix.lower()
    is_zip = content[:4] == b"PK\x03\x04"
    if suffix == ".docx":
        if not is_zip:
            raise PlanTextError("文件扩展名为 .docx，但内容不是 Word 文档。")
        return _docx_text(content)
    if suffix not in {".txt", ""}:
        raise PlanTextError(f"不支持的文件类型 {suffix}：请上传 .txt（UTF-8）或 .docx 文件。")
    if is_zip or b"\x00" in content:
        raise PlanTextError("文件内容不是纯文本：如果是 Word 文档，请使用 .docx 扩展名。")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlanTextError("文本文件不是 UTF-8 编码，请另存为 UTF-8 后再导入。") from None


def _docx_text(content: bytes) -> str:
    import io
    import zipfile

    import docx  # python-docx; only needed for Word files

    try:
        document = docx.Document(io.BytesIO(content))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise PlanTextError(f"无法读取 Word 文件：{exc}") from exc
    return "\n".join(p.text for p in document.paragraphs)


def split_clause(paragraph: str) -> tuple[str, str | None]:
    """Split 「…正文。（牵头单位：…）」 into the body and the clause's inside, parentheses matched."""
    start = paragraph.rfind(_CLAUSE_START)
    if start < 0:
        return paragraph.strip(), None
    depth = 0
    for index in range(start, len(paragraph)):
        char = paragraph[index]
        depth += char == "（"
        depth -= char == "）"
        if depth == 0:
            inside = paragraph[start + 1 : index]
            rest = paragraph[index + 1 :].strip()
            if rest:
                break  # text after the clause: not a trailing clause
            return paragraph[:start].strip(), inside
    return paragraph.strip(), None


def parse_clause(inside: str) -> list[UnitMention]:
    """「牵头单位：A、B；配合单位：C，D」 → mentions in order. A comma may stand for the semicolon."""
    body = re.sub(r"^牵头单位\s*[:：]", "", inside.strip())
    parts = _SUPPORTING_SPLIT_RE.split(body, maxsplit=1)
    mentions: list[UnitMention] = []
    for role, part in zip((AssignmentRole.LEAD, AssignmentRole.SUPPORTING), parts, strict=False):
        for name in _NAME_SPLIT_RE.split(part):
            name = name.strip(" 　\t")
            if name:
                mentions.append(UnitMention(name=name, role=role, position=len(mentions)))
    return mentions


def _first_sentence(text: str) -> str:
    head, sep, _ = text.partition("。")
    return head if sep else text


def _clean_lines(text: str) -> list[tuple[int, str]]:
    rows = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _BOOKMARK_RE.sub("", raw).strip(" 　\t\ufeff")
        if line:
            rows.append((number, line))
    return rows


def parse_plan(text: str) -> ParsedPlan:
    """Parse the whole document; raises PlanTextError with the line where it went wrong."""
    lines = _clean_lines(text)
    if not lines:
        raise PlanTextError("文件为空。")
    title_parts, index = [], 0
    while index < len(lines) and not lines[index][1].endswith("。") and not _SECTION_RE.match(lines[index][1]):
        title_parts.append(lines[index][1])
        index += 1
    title = _normalise_title("".join(title_parts))
    years = _YEARS_RE.search(title)
    if not title or not years:
        raise PlanTextError("开头找不到方案标题及其起止年度（如「（2020年—2022年）」）。", lines[0][0])
    parser = _BodyParser()
    for number, line in lines[index:]:
        parser.feed(number, line)
    plan = ParsedPlan(
        title=title,
        start_year=int(years.group(1)),
        end_year=int(years.group(2)),
        preamble="\n".join(parser.preamble),
        closing_text="\n".join(parser.closing),
        targets=parser.targets,
        groups=parser.groups,
    )
    _check(plan)
    return plan


def _normalise_title(title: str) -> str:
    """Mend the unbalanced bracket the seed title has: 「（2020年—2022年》」."""
    title = re.sub(r"\s+", "", title)
    return re.sub(r"（(\d{4}年\s*[—\-–]\s*\d{4}年)[》)）]", r"（\1）", title)


class _BodyParser:
    """A small state machine over the document's lines after the title."""

    def __init__(self) -> None:
        self.section: str | None = None
        self.preamble: list[str] = []
        self.closing: list[str] = []
        self.targets: dict[int, str] = {}
        self.groups: list[ParsedGroup] = []

    def feed(self, number: int, line: str) -> None:
        section = _SECTION_RE.match(line)
        if section and len(line) <= 20:
            self.section = next((kind for word, kind in _SECTION_KINDS.items() if word in line), "other")
            return
        handler = {
            None: self._preamble,
            "targets": self._target,
            GroupKind.MAIN: self._main,
            GroupKind.SAFEGUARD: self._safeguard,
            GroupKind.REQUIREMENT: self._requirement,
        }.get(self.section)
        if handler:
            handler(number, line)

    def _preamble(self, number: int, line: str) -> None:
        self.preamble.append(line)

    def _target(self, number: int, line: str) -> None:
        match = _TARGET_RE.match(line)
        if match:
            self.targets[int(match.group(1))] = line

    def _main(self, number: int, line: str) -> None:
        group = _GROUP_RE.match(line)
        if group:
            title = group.group(2).rstrip("。")
            self.groups.append(ParsedGroup(GroupKind.MAIN, parse_numeral(group.group(1)), title, number))
            return
        task = _TASK_RE.match(line)
        if not task:
            raise PlanTextError(f"主要任务中的段落既不是任务组「（一）」也不是任务「1．」：{line[:30]}…", number)
        if not self.groups:
            raise PlanTextError("任务出现在第一个任务组「（一）」之前。", number)
        self.groups[-1].tasks.append(_task(int(task.group(1)), task.group(2), number))

    def _single_group(self, kind: str, title: str, number: int) -> ParsedGroup:
        if not self.groups or self.groups[-1].kind != kind:
            self.groups.append(ParsedGroup(kind, 1, title, number))
        return self.groups[-1]

    def _safeguard(self, number: int, line: str) -> None:
        item = _GROUP_RE.match(line)
        if not item:
            raise PlanTextError(f"保障措施中的段落应以「（一）」等编号开头：{line[:30]}…", number)
        group = self._single_group(GroupKind.SAFEGUARD, GroupKind.SAFEGUARD.label, number)
        group.tasks.append(_task(parse_numeral(item.group(1)), item.group(2), number))

    def _requirement(self, number: int, line: str) -> None:
        item = _GROUP_RE.match(line)
        current = self.groups[-1].tasks[-1] if self.groups and self.groups[-1].kind == GroupKind.REQUIREMENT else None
        if item:
            group = self._single_group(GroupKind.REQUIREMENT, GroupKind.REQUIREMENT.label, number)
            group.tasks.append(_task(parse_numeral(item.group(1)), item.group(2), number))
        elif current and line.startswith(_TIME_NODE):
            current.time_node = line.removeprefix(_TIME_NODE)
        elif current and line.startswith(_REQUIREMENTS):
            current.text = "\n".join(filter(None, [current.text, line]))
        else:
            self.closing.append(line)


def _task(number: int, paragraph: str, line: int) -> ParsedTask:
    body, clause = split_clause(paragraph)
    return ParsedTask(
        number=number,
        title=_first_sentence(body).strip(),
        text=body,
        line=line,
        mentions=parse_clause(clause) if clause else [],
    )


def _check(plan: ParsedPlan) -> None:
    """Numbers must run 1, 2, 3… in every group, and main tasks must name their lead unit."""
    if not any(g.kind == GroupKind.MAIN for g in plan.groups):
        raise PlanTextError("找不到「主要任务」部分及其任务组。")
    main_numbers = [g.number for g in plan.groups if g.kind == GroupKind.MAIN]
    if main_numbers != list(range(1, len(main_numbers) + 1)):
        raise PlanTextError(f"任务组编号不连续：{main_numbers}")
    for group in plan.groups:
        numbers = [t.number for t in group.tasks]
        if numbers != list(range(1, len(numbers) + 1)):
            raise PlanTextError(f"「{group.title}」的任务编号不连续：{numbers}", group.line)
        for task in group.tasks:
            if group.kind != GroupKind.REQUIREMENT and not any(
                m.role == AssignmentRole.LEAD for m in task.mentions
            ):
                raise PlanTextError(f"任务 {group.code_for(task)} 缺少「（牵头单位：…）」。", task.line)
