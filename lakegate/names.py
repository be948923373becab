"""Pipeline names, read from Terraform outputs or discovered from the deployed workflow — never
hard-coded in steps or recovery.

Sources, in the order users have them: a ``terraform output -json`` file, a ``terraform show
-json`` state document (``values.outputs``), a raw ``terraform.tfstate`` (v4, ``outputs``), or a
live driver call (``TerraformDriver.outputs()``). All become the same :class:`PipelineNames`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakegate.errors import LakegateError

REQUIRED = (
    "workflow_name", "bronze_crawler_name", "silver_job_name", "gold_current_state_job_name",
    "gold_alerts_job_name", "crawler_names", "job_names", "database_name", "expected_tables",
    "athena_workgroup_name", "athena_result_location", "bronze_bucket", "bronze_data_path",
)


@dataclass(frozen=True)
class PipelineNames:
    workflow: str
    bronze_crawler: str
    silver_job: str
    gold_current_state_job: str
    gold_alerts_job: str
    crawlers: dict[str, str]            # key -> name (bronze, silver, gold_car_current_state, ...)
    jobs: dict[str, str]                # short name -> job name
    database: str
    expected_tables: list[str]
    workgroup: str
    athena_output: str
    bronze_bucket: str
    bronze_data_path: str
    expected_actions: int = 6
    crawler_tables: dict[str, str] = field(default_factory=dict)   # crawler name -> table
    job_output_paths: dict[str, str] = field(default_factory=dict)
    log_groups: dict[str, str] = field(default_factory=dict)       # job name -> log group
    crawler_log_group: str = "/aws-glue/crawlers"
    role_names: dict[str, str] = field(default_factory=dict)       # crawler/job name -> role name
    role_arns: dict[str, str] = field(default_factory=dict)        # crawler/job name -> role ARN
    crawler_targets: dict[str, str] = field(default_factory=dict)  # crawler name -> S3 target
    region: str = "us-east-1"
    account_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def gold_jobs(self) -> list[str]:
        return [self.gold_current_state_job, self.gold_alerts_job]

    @property
    def all_jobs(self) -> list[str]:
        return [self.silver_job, *self.gold_jobs]

    # --- tables, derived from the outputs (crawler targets/tables, job output paths) ----------
    def table_of_crawler(self, crawler: str) -> str:
        table = self.crawler_tables.get(crawler)
        if not table:
            raise LakegateError(f"the Terraform outputs name no table for crawler {crawler}",
                                where="output crawler_tables",
                                fix="add the crawler -> table entry to the crawler_tables output")
        return table

    def crawler_of_path(self, url: str) -> str | None:
        """The crawler whose S3 target holds ``url`` (the job output a crawler catalogs)."""
        norm = url.rstrip("/") + "/"
        for crawler, target in self.crawler_targets.items():
            t = str(target).rstrip("/") + "/"
            if norm.startswith(t) or t.startswith(norm):
                return crawler
        return None

    def table_written_by(self, job: str) -> str:
        """The catalog table of a job's output: output path → the crawler targeting it → its table."""
        path = self.job_output_paths.get(job)
        crawler = self.crawler_of_path(path) if path else None
        if crawler is None:
            raise LakegateError(f"cannot tell which table job {job} writes: no crawler targets its output "
                                f"{path or '(no job_output_paths entry)'}",
                                where="outputs job_output_paths / crawler_targets",
                                fix="export both outputs (see terraform/outputs.tf of the reference pipeline)")
        return self.table_of_crawler(crawler)

    @property
    def bronze_table(self) -> str:
        return self.table_of_crawler(self.bronze_crawler)

    @property
    def silver_table(self) -> str:
        return self.table_written_by(self.silver_job)

    @property
    def gold_current_state_table(self) -> str:
        return self.table_written_by(self.gold_current_state_job)

    @property
    def alerts_table(self) -> str:
        return self.table_written_by(self.gold_alerts_job)

    def table_of_role(self, role: str) -> str:
        """One role's table (bronze, silver, gold_current_state, alerts); LakegateError saying why
        when the pipeline gives none (an item that needs it then cannot verify)."""
        getters = {"bronze": lambda: self.bronze_table, "silver": lambda: self.silver_table,
                   "gold_current_state": lambda: self.gold_current_state_table, "alerts": lambda: self.alerts_table}
        if role not in getters:
            raise KeyError(role)
        return getters[role]()

    def tables_by_role(self) -> dict[str, str]:
        """Placeholders for SQL and Gherkin: {bronze}, {silver}, {gold_current_state}, {alerts}."""
        return {"bronze": self.bronze_table, "silver": self.silver_table,
                "gold_current_state": self.gold_current_state_table, "alerts": self.alerts_table}

    def unknown(self, key: str) -> str | None:
        """Why discovery could not find output ``key`` (None: known). Items needing it say
        "cannot verify" with this reason."""
        return (self.raw.get("_unknown") or {}).get(key)

    @property
    def roles(self) -> dict[str, Any]:
        """The workflow roles discovery found (empty for the reference outputs)."""
        return dict(self.raw.get("_roles") or {})

    def job_arguments(self, job: str) -> dict[str, str]:
        """The job's arguments as Terraform exported them (output ``job_arguments``), if any."""
        args = (self.raw.get("job_arguments") or {}).get(job) or {}
        return {str(k): str(v) for k, v in args.items()} if isinstance(args, dict) else {}

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any], *, source: str = "terraform outputs") -> "PipelineNames":
        # `terraform output -json` wraps each value as {"value": ..., "type": ..., "sensitive": ...}
        flat = {k: (v["value"] if isinstance(v, dict) and "value" in v and "type" in v else v)
                for k, v in outputs.items()}
        missing = [k for k in REQUIRED if k not in flat]
        if missing:
            raise LakegateError(
                f"the Terraform outputs lack {', '.join(missing)}",
                where=source,
                fix="apply the terraform/ configuration of this repository (its outputs.tf defines them), "
                    "or pass the outputs of the right workspace",
            )
        try:
            return cls(
                workflow=str(flat["workflow_name"]),
                bronze_crawler=str(flat["bronze_crawler_name"]),
                silver_job=str(flat["silver_job_name"]),
                gold_current_state_job=str(flat["gold_current_state_job_name"]),
                gold_alerts_job=str(flat["gold_alerts_job_name"]),
                crawlers=dict(flat["crawler_names"]),
                jobs=dict(flat["job_names"]),
                database=str(flat["database_name"]),
                expected_tables=list(flat["expected_tables"]),
                workgroup=str(flat["athena_workgroup_name"]),
                athena_output=str(flat["athena_result_location"]),
                bronze_bucket=str(flat["bronze_bucket"]),
                bronze_data_path=str(flat["bronze_data_path"]),
                expected_actions=int(flat.get("workflow_expected_actions", 6)),
                crawler_tables=dict(flat.get("crawler_tables", {})),
                job_output_paths=dict(flat.get("job_output_paths", {})),
                log_groups=dict(flat.get("log_group_names", {})),
                crawler_log_group=str(flat.get("crawler_log_group", "/aws-glue/crawlers")),
                role_names=dict(flat.get("role_names", {})),
                role_arns=dict(flat.get("role_arns", {})),
                crawler_targets=dict(flat.get("crawler_targets", {})),
                region=str(flat.get("region", "us-east-1")),
                account_id=str(flat["account_id"]) if flat.get("account_id") else None,
                raw=flat,
            )
        except (TypeError, ValueError) as err:
            raise LakegateError(f"a Terraform output has an unexpected type ({err})", where=source,
                                fix="check that the outputs come from this repository's terraform/") from None

    @classmethod
    def from_file(cls, path: Path) -> "PipelineNames":
        """Read ``terraform output -json``, ``terraform show -json`` (state) or a raw tfstate file."""
        return cls.from_outputs(read_outputs(path), source=str(path))


def read_outputs(path: Path) -> dict[str, Any]:
    """The outputs in ``terraform output -json``, ``terraform show -json`` (state) or a raw tfstate file."""
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise LakegateError(f"{path} does not exist", where=str(path),
                            fix="run `terraform output -json > outputs.json` in the deployed workspace") from None
    except (OSError, json.JSONDecodeError) as err:
        raise LakegateError(f"cannot read outputs: {err}", where=str(path),
                            fix="pass the output of `terraform output -json` or a state file") from None
    if not isinstance(doc, dict):
        raise LakegateError("the outputs file is not a JSON object", where=str(path),
                            fix="pass the output of `terraform output -json` or a state file")
    if "values" in doc and isinstance(doc["values"], dict):        # terraform show -json (state)
        return doc["values"].get("outputs", {})
    if "outputs" in doc and "version" in doc:                       # raw terraform.tfstate v4
        return doc["outputs"]
    return doc


# --------------------------------------------------------------------------- discovery
# A user's pipeline has no outputs naming the runbook's roles. Its workflow graph does: the start
# trigger, the CONDITIONAL triggers on SUCCEEDED, the crawlers' S3 targets and the jobs' arguments
# and scripts (GetWorkflow/GetTriggers, GetCrawler, GetJob, the script object). The runbook's
# "bronze/silver/gold" are read as: ingestion crawler, first-stage jobs, following crawlers,
# last-stage jobs. Outputs (or ``lakegate.toml``) still override anything discovered.

@dataclass(frozen=True)
class GraphRoles:
    """The roles a workflow's triggers give (pure: from trigger dicts as GetTriggers returns them)."""

    workflow: str
    start_crawlers: list[str]
    first_jobs: list[str]
    stages: list[list[str]]                          # jobs, breadth-first from the start trigger
    followers: dict[str, list[tuple[str, str]]]      # action -> [(kind, name)] its SUCCEEDED starts
    actions: list[tuple[str, str]]                   # every (kind, name) some trigger starts

    @property
    def jobs(self) -> list[str]:
        return [j for s in self.stages for j in s]

    @property
    def last_jobs(self) -> list[str]:
        return self.stages[-1] if self.stages else []

    def crawlers_after(self, job: str) -> list[str]:
        return [n for k, n in self.followers.get(job, []) if k == "crawler"]


def _trigger_actions(trigger: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for a in trigger.get("Actions") or []:
        if a.get("JobName"):
            out.append(("job", a["JobName"]))
        elif a.get("CrawlerName"):
            out.append(("crawler", a["CrawlerName"]))
    return out


def graph_roles(workflow: str, triggers: list[dict[str, Any]]) -> GraphRoles:
    """Roles of ``workflow`` from its triggers. Raises LakegateError without a start trigger."""
    mine = [t for t in triggers if t.get("WorkflowName", workflow) == workflow]
    starts = [t for t in mine if t.get("Type") in ("ON_DEMAND", "SCHEDULED")]
    if not starts:
        raise LakegateError(f"workflow {workflow} has no start trigger", where=f"workflow {workflow}",
                            fix="give the workflow an ON_DEMAND or SCHEDULED trigger (aws_glue_trigger)")
    followers: dict[str, list[tuple[str, str]]] = {}
    for t in mine:
        if t.get("Type") != "CONDITIONAL":
            continue
        for c in (t.get("Predicate") or {}).get("Conditions") or []:
            src = c.get("JobName") or c.get("CrawlerName")
            if src and (c.get("State") or c.get("CrawlState")) == "SUCCEEDED":
                followers.setdefault(src, []).extend(_trigger_actions(t))
    first = [a for t in starts for a in _trigger_actions(t)]
    stages: list[list[str]] = []
    seen: set[str] = set()
    level = first
    while level:
        here = [n for k, n in dict.fromkeys(level) if k == "job" and n not in seen]
        nxt: list[tuple[str, str]] = []
        for kind, n in level:
            if n in seen:
                continue
            seen.add(n)
            if kind == "crawler" or n in here:
                nxt.extend(followers.get(n, []))
        if here:
            stages.append(here)
        level = [a for a in nxt if a[1] not in seen]
    start_crawlers = [n for k, n in first if k == "crawler"]
    if start_crawlers:
        first_jobs = [n for c in start_crawlers for k, n in followers.get(c, []) if k == "job"]
    else:
        first_jobs = [n for k, n in first if k == "job"]
    actions = list(dict.fromkeys(a for t in mine for a in _trigger_actions(t)))
    return GraphRoles(workflow, start_crawlers, list(dict.fromkeys(first_jobs)), stages, followers, actions)


def _paged(call: Any, key: str, **kwargs: Any) -> list[Any]:
    out: list[Any] = []
    token = None
    while True:
        resp = call(**kwargs, **({"NextToken": token} if token else {}))
        out += resp.get(key) or []
        token = resp.get("NextToken")
        if not token:
            return out


def _script_reads(clients: Any, job: dict[str, Any]) -> tuple[set[tuple[str, str]], list[str], str | None]:
    """(catalog reads, S3 reads, why unknown) of a deployed job: its script, fetched from S3 and
    analysed by the gate's script analysis with the job's DefaultArguments."""
    import ast
    import tempfile

    from lakegate.s3url import parse_s3_url
    from tf_checks.scripts.analyze import Unknown, analyze

    args = {str(k): str(v) for k, v in (job.get("DefaultArguments") or {}).items()}
    location = (job.get("Command") or {}).get("ScriptLocation") or ""
    try:
        bucket, key = parse_s3_url(location, what="ScriptLocation")
        source = clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        tree = ast.parse(source)
        with tempfile.TemporaryDirectory(prefix="lakegate-discover-") as tmp:
            path = Path(tmp) / (key.rsplit("/", 1)[-1] or "script.py")
            path.write_text(source)
            result = analyze(path, tree, {}, args)
    except Exception as err:  # noqa: BLE001 - any failure leaves the script's reads unknown
        return set(), [], f"script {location or '(none)'} of job {job.get('Name')}: {type(err).__name__}: {err}"
    cat, s3 = set(), []
    for op in result.ops:
        if isinstance(op.target, Unknown):
            continue
        if op.kind == "catalog_read" and "." in op.target:
            db, _, table = op.target.partition(".")
            cat.add((db, table))
        elif op.kind == "read":
            s3.append(op.target)
    return cat, s3, None


def _under(url: str, target: str) -> bool:
    u, t = url.rstrip("/") + "/", target.rstrip("/") + "/"
    return u.startswith(t) or t.startswith(u)


def _choose_workflow(glue: Any, workflow: str | None) -> str:
    names = sorted(_paged(glue.list_workflows, "Workflows"))
    if workflow:
        if workflow not in names:
            raise LakegateError(f"workflow {workflow!r} is not deployed", where="ListWorkflows",
                                fix=f"deployed workflows: {', '.join(names) or '(none)'}; fix `workflow` in lakegate.toml")
        return workflow
    if len(names) == 1:
        return names[0]
    if not names:
        raise LakegateError("no Glue workflow is deployed", where="ListWorkflows",
                            fix="deploy the pipeline first (`lakegate deploy`), or point the environment at the right account/region")
    raise LakegateError(f"{len(names)} workflows are deployed ({', '.join(names)})", where="ListWorkflows",
                        fix='name the pipeline\'s workflow in lakegate.toml: workflow = "NAME" in [environments.<env>]')


def discover(clients: Any, *, workflow: str | None = None, outputs: dict[str, Any] | None = None,
             region: str | None = None) -> "PipelineNames":
    """PipelineNames from the deployed environment (boto3 ``clients``), ``outputs`` overriding.

    What cannot be found is left empty and listed in ``raw["_unknown"]`` ({output key: why}); the
    items that need it report "cannot verify" with that reason (:meth:`PipelineNames.unknown`)."""
    flat = {k: (v["value"] if isinstance(v, dict) and "value" in v and "type" in v else v)
            for k, v in (outputs or {}).items()}
    glue = clients.glue
    wf = _choose_workflow(glue, workflow or flat.get("workflow_name"))
    triggers = [t for t in _paged(glue.get_triggers, "Triggers") if t.get("WorkflowName") == wf]
    roles = graph_roles(wf, triggers)
    unknown: dict[str, str] = {}
    crawler_names = list(dict.fromkeys([n for k, n in roles.actions if k == "crawler"]))
    job_names = list(dict.fromkeys([*roles.jobs, *(n for k, n in roles.actions if k == "job")]))
    crawlers = {n: glue.get_crawler(Name=n)["Crawler"] for n in crawler_names}
    jobs = {n: glue.get_job(JobName=n)["Job"] for n in job_names}

    def targets(c: dict[str, Any]) -> list[str]:
        return [t["Path"] for t in (c.get("Targets") or {}).get("S3Targets") or [] if t.get("Path")]

    def table_of(c: dict[str, Any]) -> str | None:
        from lakegate.glue_naming import crawler_table_name
        paths = targets(c)
        return crawler_table_name(c.get("TablePrefix"), paths[0]) if len(paths) == 1 else None

    # the ingestion crawler: the start crawler, else the crawler whose table/target the first jobs read
    ingestion = roles.start_crawlers[0] if roles.start_crawlers else None
    if ingestion is None:
        reads: set[tuple[str, str]] = set()
        paths: list[str] = []
        whys = []
        for j in roles.first_jobs:
            args = jobs[j].get("DefaultArguments") or {}
            cat, s3, why = _script_reads(clients, jobs[j])
            reads |= cat
            paths += s3 + [str(v) for v in args.values() if str(v).startswith("s3://")]
            reads |= {("", str(v)) for v in args.values()}     # a table named by an argument
            if why:
                whys.append(why)
        # a crawler the workflow runs after a job is downstream (it may crawl a job output the
        # first job also reads back), never the ingestion crawler; a catalog-table match outranks
        # an S3-path match
        downstream = {n for acts in roles.followers.values() for k, n in acts if k == "crawler"}
        by_path = None
        for c in _paged(glue.get_crawlers, "Crawlers"):
            if c["Name"] in downstream:
                continue
            t = table_of(c)
            if t and ((c.get("DatabaseName"), t) in reads or ("", t) in reads):
                ingestion = c["Name"]
                crawlers.setdefault(ingestion, c)
                break
            if by_path is None and any(_under(p, tp) for p in paths for tp in targets(c)):
                by_path = c
        if ingestion is None and by_path is not None:
            ingestion = by_path["Name"]
            crawlers.setdefault(ingestion, by_path)
        if ingestion is None:
            unknown["bronze_crawler_name"] = (
                f"no crawler's table or S3 target is read by the first-stage job(s) {', '.join(roles.first_jobs)}"
                + (f" ({'; '.join(whys)})" if whys else ""))
    ing = crawlers.get(ingestion) if ingestion else None
    first = roles.first_jobs[0] if roles.first_jobs else ""
    # the last stage: the latest stage after the first whose jobs write a crawled table, else the last
    crawled = [st for st in roles.stages[1:] if any(roles.crawlers_after(j) for j in st)]
    last = [j for j in crawled[-1] if roles.crawlers_after(j)] if crawled else roles.last_jobs
    if not first:
        unknown["silver_job_name"] = f"workflow {wf} starts no job"
    crawler_targets = {n: targets(c)[0] for n, c in crawlers.items() if targets(c)}
    crawler_tables = {n: t for n, c in crawlers.items() if (t := table_of(c))}
    job_output_paths = {}
    for j in jobs:
        after = [crawler_targets[c] for c in roles.crawlers_after(j) if c in crawler_targets]
        if after:
            job_output_paths[j] = after[0]
    keyed = {"bronze": ingestion} if ingestion else {}
    keyed.update({n: n for n in crawlers if n != ingestion})
    database = (ing or next(iter(crawlers.values()), {})).get("DatabaseName", "")
    if not database:
        unknown["database_name"] = "no crawler of the workflow names a database"
    bronze_path = targets(ing)[0] if ing and targets(ing) else ""
    if not bronze_path:
        unknown.setdefault("bronze_data_path", "the ingestion crawler is unknown or has no S3 target")
    workgroup = str(flat.get("athena_workgroup_name") or "primary")
    athena_output = ""
    try:
        wg = clients.athena.get_work_group(WorkGroup=workgroup)["WorkGroup"]
        athena_output = ((wg.get("Configuration") or {}).get("ResultConfiguration") or {}).get("OutputLocation") or ""
    except Exception as err:  # noqa: BLE001
        unknown["athena_result_location"] = f"GetWorkGroup {workgroup}: {err}"
    if not athena_output:
        unknown.setdefault("athena_result_location", f"workgroup {workgroup} sets no result location")
    found = {
        "workflow_name": wf,
        "bronze_crawler_name": ingestion or "",
        "silver_job_name": first,
        "gold_current_state_job_name": last[0] if last else first,
        "gold_alerts_job_name": last[-1] if last else first,
        "crawler_names": keyed,
        "job_names": {n: n for n in jobs},
        "database_name": database,
        "expected_tables": sorted(set(crawler_tables.values())),
        "athena_workgroup_name": workgroup,
        "athena_result_location": athena_output,
        "bronze_bucket": bronze_path[5:].split("/", 1)[0] if bronze_path else "",
        "bronze_data_path": bronze_path,
        "workflow_expected_actions": len(roles.actions),
        "crawler_tables": crawler_tables,
        "job_output_paths": job_output_paths,
        "log_group_names": {n: str(j["DefaultArguments"]["--continuous-log-logGroup"]) for n, j in jobs.items()
                            if (j.get("DefaultArguments") or {}).get("--continuous-log-logGroup")},
        "role_arns": {**{n: c.get("Role", "") for n, c in crawlers.items()},
                      **{n: j.get("Role", "") for n, j in jobs.items()}},
        "crawler_targets": crawler_targets,
        "job_arguments": {n: dict(j.get("DefaultArguments") or {}) for n, j in jobs.items()},
        "job_script_locations": {n: (j.get("Command") or {}).get("ScriptLocation", "") for n, j in jobs.items()},
        "region": region or getattr(getattr(glue, "meta", None), "region_name", None) or "us-east-1",
    }
    found["role_names"] = {n: a.rsplit("/", 1)[-1] for n, a in found["role_arns"].items() if a}
    merged = {**found, **flat}
    for key in flat:
        unknown.pop(key, None)
    merged["_unknown"] = unknown
    merged["_roles"] = {"ingestion_crawler": ingestion, "first_stage_jobs": roles.first_jobs,
                        "stages": roles.stages, "last_stage_jobs": last}
    return PipelineNames.from_outputs(merged, source=f"workflow {wf} (discovered)")


def names_for(outputs: dict[str, Any] | None, clients: Any, *, workflow: str | None = None,
              source: str = "terraform outputs") -> "PipelineNames":
    """The reference outputs when they name every role; else discovery, the outputs overriding."""
    flat = {k: (v["value"] if isinstance(v, dict) and "value" in v and "type" in v else v)
            for k, v in (outputs or {}).items()}
    if all(k in flat for k in REQUIRED) and not workflow:
        return PipelineNames.from_outputs(outputs or {}, source=source)
    return discover(clients, workflow=workflow, outputs=outputs)
