"""Parse a set of files (OpenSLO, Sloth, AlertWindows, budget policies) into normalised specs."""

from __future__ import annotations

from dataclasses import dataclass, field

from guardrail.slo import openslo, policy_spec, sloth
from guardrail.slo.context import DEFAULT_PERIOD, ParseContext
from guardrail.slo.spec import PolicySpec, SloSpec
from guardrail.slo.yamldoc import Document, Problem, Problems, Reader, load_documents

MAX_FILE_BYTES = 1024 * 1024


@dataclass
class SpecSet:
    """Everything a set of files defines."""

    slos: list[SloSpec] = field(default_factory=list)
    policies: list[PolicySpec] = field(default_factory=list)


def parse_files(
    files: list[tuple[str, str]],
    *,
    default_period: str = DEFAULT_PERIOD,
    prometheus_url: str | None = None,
) -> SpecSet:
    """Parse ``(name, text)`` files; raise one InvalidInput listing every problem found."""
    problems = Problems()
    context = ParseContext(default_period=default_period, prometheus_url=prometheus_url)
    readers = _objects(files, problems)
    problems.raise_if_any()
    kinds = _register(readers, context)
    result = SpecSet()
    for reader, kind in zip(readers, kinds, strict=True):
        if kind == "SLO":
            spec = openslo.parse_slo(reader, context)
            result.slos.extend([spec] if spec else [])
        elif kind == "sloth":
            result.slos.extend(sloth.parse_spec(reader, context))
        elif kind == "policy":
            policy = policy_spec.parse_policy(reader)
            result.policies.extend([policy] if policy else [])
    _check_unique(result, problems)
    problems.raise_if_any()
    return result


def _objects(files: list[tuple[str, str]], problems: Problems) -> list[Reader]:
    """One reader per object: a document, or each item of a document that is a list."""
    readers: list[Reader] = []
    for name, text in files:
        if len(text.encode()) > MAX_FILE_BYTES:
            problems.items.append(_problem(name, "is larger than 1 MiB"))
            continue
        for doc in load_documents(text, name):
            readers.extend(_readers(doc, problems))
    return readers


def _readers(doc: Document, problems: Problems) -> list[Reader]:
    if isinstance(doc.data, list):
        return [Reader(doc, problems, (i,)) for i in range(len(doc.data))]
    return [Reader(doc, problems)]


def _register(readers: list[Reader], context: ParseContext) -> list[str | None]:
    """Identify each object's format and kind; AlertWindows first so SLOs can use them."""
    kinds: list[str | None] = []
    for reader in readers:
        kinds.append(_identify(reader, context))
    return kinds


def _identify(reader: Reader, context: ParseContext) -> str | None:
    if reader.mapping(()) is None:
        reader.error((), "each document must be a mapping (an OpenSLO object or a Sloth spec)")
        return None
    if reader.get(("version",)) is not None:
        version = reader.text(("version",))
        if version != sloth.VERSION:
            reader.error(("version",), f"{version!r}: guardrail reads Sloth {sloth.VERSION} specs")
            return None
        return "sloth"
    api = reader.text(("apiVersion",), required=True)
    if api == openslo.API_VERSION:
        return openslo.register(reader, context)
    if api == sloth.WINDOWS_API_VERSION and reader.text(("kind",)) == "AlertWindows":
        sloth.parse_windows(reader, context)
        return "windows"
    if api == policy_spec.API_VERSION:
        kind = reader.text(("kind",), required=True)
        if kind != policy_spec.KIND:
            reader.error(("kind",), f"unknown {api} kind {kind!r}; expected {policy_spec.KIND}")
            return None
        return "policy"
    if api:
        reader.error(
            ("apiVersion",),
            f"{api!r} is not a format guardrail reads: openslo/v1, Sloth prometheus/v1 "
            f"(version:), {sloth.WINDOWS_API_VERSION} AlertWindows or {policy_spec.API_VERSION}",
        )
    return None


def _check_unique(result: SpecSet, problems: Problems) -> None:
    seen: set[tuple[str, str]] = set()
    for spec in result.slos:
        key = (spec.service, spec.name)
        if key in seen:
            problems.items.append(
                _problem(spec.origin, f"SLO {spec.name!r} of {spec.service!r} is defined twice")
            )
        seen.add(key)


def _problem(where: str, message: str) -> Problem:
    return Problem(where, None, "(file)", message)
