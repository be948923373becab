"""The runbook's checklists as data: one item per checklist line, PASSO and problem.

This catalog is the single source for the Gherkin tags (``@BA1`` …), the sign-off report rows and
the diagnosis ids. The runbook (Portuguese) is ``WORKFLOW_RECOVERY_GUIDE.md``; ``runbook`` quotes
the line each item comes from so a reviewer can trace it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    id: str         # tag used in features (``@BA1``) and in reports
    section: str    # before | after | final | diagnosis
    title: str      # English, what is checked
    runbook: str    # the runbook's own words


SECTIONS: dict[str, str] = {
    "before": "Before apply (Checklist Antes de Atualizar Terraform)",
    "after": "After apply (Checklist Após Aplicar Terraform, PASSO 1-8)",
    "final": "Final validation (Checklist de Validação Final)",
    "diagnosis": "Diagnosis (Problemas 1-5, Sintomas 1-4)",
}

ITEMS: tuple[Item, ...] = (
    Item("BA1", "before", "Backup taken: Terraform state, job bookmarks and catalog table definitions saved with timestamps",
         "Fazer backup das configurações atuais"),
    Item("BA2", "before", "Plan produced and reviewed by the gate with no blocking findings",
         "Executar `terraform plan` e revisar mudanças"),
    Item("BA3", "before", "Schema and IAM changes in the plan detected and listed",
         "Verificar se há mudanças em schemas ou políticas IAM"),
    Item("BA4", "before", "Test data ready in the bronze layout",
         "Ter dados de teste prontos para validação"),
    Item("BA5", "before", "Current run IDs recorded as the baseline",
         "Documentar Run IDs antes da atualização"),
    Item("STEP1", "after", "Last workflow run status read (PASSO 1)",
         "PASSO 1: Verificar Status do Workflow"),
    Item("AA1", "after", "Bronze crawler run to READY / SUCCEEDED (PASSO 2)",
         "Executar Bronze Crawler"),
    Item("AA2", "after", "Job bookmarks reset for the jobs the recovery plan names (PASSO 3)",
         "Resetar Job Bookmarks (se necessário)"),
    Item("AA3", "after", "IAM propagation awaited by polling (PASSO 4)",
         "Aguardar propagação IAM (60s)"),
    Item("AA4", "after", "Full workflow run started and monitored to the end (PASSO 5-6)",
         "Executar workflow completo"),
    Item("AA5", "after", "Catalog tables validated (PASSO 7)",
         "Validar todas as tabelas catalogadas"),
    Item("AA6", "after", "Athena queries return content (PASSO 8)",
         "Testar queries no Athena"),
    Item("AA7", "after", "CloudWatch logs without critical errors",
         "Verificar logs CloudWatch"),
    Item("FV1", "final", "Workflow COMPLETED with all actions succeeded",
         "Workflow Status: COMPLETED com 6/6 ações sucesso"),
    Item("FV2", "final", "Bronze table updated", "Tabelas Bronze: `bronze_ingest_year_*` atualizada"),
    Item("FV3", "final", "Silver table updated", "Tabelas Silver: `silver_car_telemetry` atualizada"),
    Item("FV4", "final", "Gold current-state table updated", "Tabelas Gold: `gold_car_current_state` atualizada"),
    Item("FV5", "final", "performance_alerts_log present", "Tabelas Gold: `performance_alerts_log` criada"),
    Item("FV6", "final", "Athena returns exactly the alert types the data implies",
         "Athena Queries: Retornam dados corretos"),
    Item("FV7", "final", "Logs clean", "Logs CloudWatch: Sem erros críticos"),
    Item("FV8", "final", "Both gold jobs ran in parallel (run intervals overlap)",
         "Execução Paralela: Ambos Gold Jobs executaram simultaneamente"),
    Item("P1", "diagnosis", "Column does not exist → stale catalog schema", "Problema 1: \"Column does not exist\""),
    Item("P2", "diagnosis", "AccessDeniedException glue:BatchGetPartition → crawler role lacks permission",
         "Problema 2: AccessDeniedException (glue:BatchGetPartition)"),
    Item("P3", "diagnosis", "Job does not process new data → stuck bookmark", "Problema 3: Job não processa dados novos"),
    Item("P4", "diagnosis", "Crawler finds nothing → empty or wrong S3 path", "Problema 4: Crawler falha silenciosamente"),
    Item("P5", "diagnosis", "Workflow stuck in RUNNING → hanging node", "Problema 5: Workflow trava em \"RUNNING\""),
    Item("S1", "diagnosis", "Workflow COMPLETED with FailedActions > 0 is a failure", "Sintoma 1: Workflow com Falhas"),
)

BY_ID: dict[str, Item] = {item.id: item for item in ITEMS}


def item(item_id: str) -> Item:
    try:
        return BY_ID[item_id]
    except KeyError:
        raise KeyError(f"unknown checklist item {item_id!r}; known: {', '.join(BY_ID)}") from None


# --- the decision ---------------------------------------------------------------------------------
#
# The one place that decides GO / NO-GO (DESIGN.md, "Checklist decision"); the reports render the
# result and never decide themselves.

#: Items that inject faults: they can only run where faults can be injected (the embedded local
#: AWS). In a live environment they are local *rehearsals*, shown on the page but not part of the
#: sign-off.
REHEARSALS: frozenset[str] = frozenset(i.id for i in ITEMS if i.section == "diagnosis")


def applies(item_id: str, fault_capable: bool) -> bool:
    """Does the item belong to the sign-off of an environment (fault-capable or not)?"""
    item(item_id)
    return fault_capable or item_id not in REHEARSALS


def is_rehearsal(item_id: str, fault_capable: bool) -> bool:
    return item_id in REHEARSALS and not fault_capable


@dataclass(frozen=True)
class ItemOutcome:
    id: str
    status: str              # PASS | FAIL | SKIP | NOT RUN
    applies: bool            # part of this environment's sign-off
    rehearsal: bool          # a P1-P5/S1 fault rehearsal outside a fault-capable environment
    waiver: str | None       # the reason from lakegate.toml when a SKIP / NOT RUN is waived

    @property
    def blocks(self) -> bool:
        """Does this item keep the decision from GO?"""
        if not self.applies:
            return False
        if self.status == "PASS":
            return False
        if self.status in ("SKIP", "NOT RUN") and self.waiver:
            return False
        return True


@dataclass(frozen=True)
class Decision:
    decision: str                        # GO | NO-GO
    items: tuple[ItemOutcome, ...]
    reasons: tuple[str, ...]             # why NO-GO, one line per blocking item (empty on GO)

    @property
    def go(self) -> bool:
        return self.decision == "GO"

    def outcome(self, item_id: str) -> ItemOutcome:
        return next(o for o in self.items if o.id == item_id)


def item_status(statuses: list[str]) -> str:
    """One status per item from its records' statuses: any FAIL fails it; else any PASS passes it."""
    if not statuses:
        return "NOT RUN"
    if "FAIL" in statuses:
        return "FAIL"
    if "PASS" in statuses:
        return "PASS"
    return "SKIP"


def fault_capable_kind(env_kind: str | None) -> bool:
    """Only the embedded local AWS (kind ``local``) takes injected faults."""
    return (env_kind or "local") == "local"


def decide(statuses: dict[str, list[str] | str], *, fault_capable: bool,
           waivers: dict[str, str] | None = None) -> Decision:
    """GO only when every item that applies to the environment PASSED.

    ``statuses`` maps a checklist id to the statuses of its records (or one status); ids without
    records are NOT RUN. SKIP and NOT RUN block GO unless ``waivers`` holds a reason for the item;
    a waiver never excuses a FAIL. P1-P5/S1 apply only where faults can be injected.
    """
    waivers = {k: v for k, v in (waivers or {}).items() if isinstance(v, str) and v.strip()}
    outcomes = []
    reasons = []
    for it in ITEMS:
        raw = statuses.get(it.id, [])
        status = item_status([raw] if isinstance(raw, str) else list(raw))
        waiver = waivers.get(it.id) if status in ("SKIP", "NOT RUN") else None
        out = ItemOutcome(it.id, status, applies(it.id, fault_capable), is_rehearsal(it.id, fault_capable), waiver)
        outcomes.append(out)
        if out.blocks:
            why = {"FAIL": "failed", "SKIP": "was skipped (no waiver in lakegate.toml)",
                   "NOT RUN": "did not run (no waiver in lakegate.toml)"}[status]
            reasons.append(f"{it.id} {why}")
    return Decision("NO-GO" if reasons else "GO", tuple(outcomes), tuple(reasons))
