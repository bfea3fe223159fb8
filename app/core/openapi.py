"""Post-processing of the generated OpenAPI document so generated SDKs get one named enum type
per closed set (`Vertical`, `StageSlug`, ...) instead of an anonymous copy at every use."""

from __future__ import annotations

from typing import Any

from app.models import enums
from app.qualification import rules as qualification

OPEN_STAGES = enums.STAGE_SLUGS[1:7]
CLIENT_FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "omitted")
ANALYSIS_STATUSES = (
    "needs_point_of_entry",
    "entry_in_progress",
    "land_and_expand",
    "fully_green",
    "no_devops_mapped",
)

NAMED_ENUMS: dict[frozenset[str], str] = {
    frozenset(values): name
    for name, values in {
        "Role": enums.ROLES,
        "Segment": enums.SEGMENTS,
        "Vertical": enums.VERTICALS,
        "TeamRole": enums.TEAM_ROLES,
        "AccountType": enums.ACCOUNT_TYPES,
        "RouteToMarket": enums.ROUTES_TO_MARKET,
        "PartnerKind": enums.PARTNER_KINDS,
        "ItSupport": enums.IT_SUPPORT,
        "UnitKind": enums.UNIT_KINDS,
        "Adoption": enums.ADOPTIONS,
        "ActivityType": enums.ACTIVITY_TYPES,
        "ActivityStatus": enums.ACTIVITY_STATUSES,
        "PersonaSlug": enums.PERSONAS,
        "LeadStatus": enums.LEAD_STATUSES,
        "TouchChannel": enums.TOUCH_CHANNELS,
        "TouchDirection": enums.TOUCH_DIRECTIONS,
        "BpmStage": enums.BPM_STAGES,
        "OpportunityType": enums.OPPORTUNITY_TYPES,
        "ForecastCategory": enums.FORECAST_CATEGORIES,
        "ClientForecastCategory": CLIENT_FORECAST_CATEGORIES,
        "RenewalForecastCategory": enums.RENEWAL_FORECAST_CATEGORIES,
        "StageSlug": enums.STAGE_SLUGS,
        "OpenStageSlug": OPEN_STAGES,
        "LossReason": enums.LOSS_REASONS,
        "MeddppiccElement": enums.MEDDPPICC_ELEMENTS,
        "Involvement": qualification.INVOLVEMENTS,
        "InitiativeKind": qualification.INITIATIVE_KINDS,
        "InitiativeDriver": qualification.DRIVERS,
        "EntryUseCase": qualification.ENTRY_USE_CASES,
        "AnalysisStatus": ANALYSIS_STATUSES,
    }.items()
}
KEPT_BESIDE_REF = ("description", "default", "title", "examples", "deprecated")


def _hoist(node: Any, found: dict[str, list[str]]) -> Any:
    if isinstance(node, list):
        return [_hoist(item, found) for item in node]
    if not isinstance(node, dict):
        return node
    values = node.get("enum")
    if node.get("type") == "string" and isinstance(values, list):
        name = NAMED_ENUMS.get(frozenset(values))
        if name is not None and len(values) == len(set(values)):
            found.setdefault(name, values)
            kept = {k: node[k] for k in KEPT_BESIDE_REF if k in node and k != "title"}
            return {"$ref": f"#/components/schemas/{name}", **kept}
    return {key: _hoist(value, found) for key, value in node.items()}


def name_enums(spec: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, list[str]] = {}
    spec = _hoist(spec, found)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name, values in found.items():
        if name in schemas:
            raise RuntimeError(f"enum name {name} collides with a schema of the same name")
        schemas[name] = {"type": "string", "enum": values, "title": name}
    spec["components"]["schemas"] = dict(sorted(schemas.items()))
    return spec
