"""Resolve unit names as a plan document writes them to units of the directory.

Reading only: the index is built from the ``Unit`` and ``UnitAlias`` tables in three queries.
Rules, in the order they are tried for a name:

- the full directory name or a recorded alias (「人社局」, 「西安公积金西咸分中心」, 「城市管理与交通运输」);
- the name with the 「新区」 prefix that an earlier name of the same clause carried
  (「新区改革创新发展局、规划与住房城乡建设局」);
- a collective with members expands to them (「各新城」 → the five new cities); one without
  members (「新区各相关部门」) stays a collective assignment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tasks.choices import UnitKind
from tasks.models import Unit, UnitAlias
from tasks.plan_text import UnitMention

PREFIX = "新区"


class Rule:
    EXACT = "直接匹配"
    ALIAS = "别名"
    INHERITED_PREFIX = "继承「新区」前缀"
    EXPANDED = "统称展开"
    COLLECTIVE = "统称"
    DUPLICATE = "重复（已列出）"
    UNRESOLVED = "未能识别"


@dataclass
class Resolution:
    code: str
    line: int
    role: str
    source_name: str
    rule: str
    units: list[Unit] = field(default_factory=list)

    @property
    def resolved(self) -> bool:
        return self.rule != Rule.UNRESOLVED


class UnitDirectory:
    def __init__(self) -> None:
        units = {u.pk: u for u in Unit.objects.filter(is_active=True)}
        self._by_name = {u.name: u for u in units.values()}
        self._by_alias = {a.alias: units[a.unit_id] for a in UnitAlias.objects.all() if a.unit_id in units}
        self._members: dict[int, list[Unit]] = {}
        for row in Unit.members.through.objects.order_by("id"):
            if row.to_unit_id in units:
                self._members.setdefault(row.from_unit_id, []).append(units[row.to_unit_id])

    def _lookup(self, name: str, *, prefix_seen: bool) -> tuple[Unit | None, str]:
        if name in self._by_name:
            return self._by_name[name], Rule.EXACT
        if prefix_seen and not name.startswith(PREFIX) and PREFIX + name in self._by_name:
            return self._by_name[PREFIX + name], Rule.INHERITED_PREFIX
        bare = name.removeprefix(PREFIX)
        for candidate in (name, bare, PREFIX + bare):
            if candidate in self._by_alias:
                return self._by_alias[candidate], Rule.ALIAS
            if candidate in self._by_name:
                return self._by_name[candidate], Rule.ALIAS
        return None, Rule.UNRESOLVED

    def resolve_clause(self, *, code: str, line: int, mentions: list[UnitMention]) -> list[Resolution]:
        """Resolve one task's clause. A unit named twice (lead and supporting) is kept once."""
        results: list[Resolution] = []
        seen: set[int] = set()
        prefix_seen = False
        for mention in mentions:
            name = mention.name
            unit, rule = self._lookup(name, prefix_seen=prefix_seen)
            prefix_seen = prefix_seen or name.startswith(PREFIX)
            units = self._expand(unit) if unit else []
            if unit and unit.kind == UnitKind.COLLECTIVE:
                rule = Rule.EXPANDED if unit.pk in self._members else Rule.COLLECTIVE
            fresh = [u for u in units if u.pk not in seen]
            if units and not fresh:
                rule = Rule.DUPLICATE
            seen.update(u.pk for u in fresh)
            results.append(Resolution(code, line, mention.role, name, rule, fresh))
        return results

    def _expand(self, unit: Unit) -> list[Unit]:
        return self._members.get(unit.pk, [unit])
