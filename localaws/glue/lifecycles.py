"""The Glue run lifecycles as transition tables (:mod:`localaws.lifecycle`): crawler state, crawl
status, job run state and workflow run status. The crawler, job and workflow modules change a
state only through these tables (``CRAWLER.move(crawl, "state", "STOPPING")``).

Each table lists the states AWS documents for the field and the moves this local AWS makes;
a state AWS documents that we never enter (a job run's WAITING, EXPIRED) is left out rather
than given made-up moves.
"""

from __future__ import annotations

from localaws.lifecycle import Lifecycle, table

_API = "https://docs.aws.amazon.com/glue/latest/dg/"

#: ``Crawler.State`` (READY | RUNNING | STOPPING). One crawl record carries it while it is the
#: crawler's last: created RUNNING (the crawler leaves READY), STOPPING once the crawl is done or
#: StopCrawler asked, READY at the end. Source: aws-glue-api-crawler-crawling.html#...-Crawler.
CRAWLER = Lifecycle(
    name="crawler state",
    initial="RUNNING",
    transitions=table({
        "READY": ("RUNNING",),
        "RUNNING": ("STOPPING",),
        "STOPPING": ("READY",),
    }),
    source=_API + "aws-glue-api-crawler-crawling.html#aws-glue-api-crawler-crawling-Crawler",
)

#: ``LastCrawlInfo.Status`` (SUCCEEDED | CANCELLED | FAILED) of one crawl; RUNNING while it runs
#: (ListCrawls' ``CrawlState`` RUNNING). Source: aws-glue-api-crawler-crawling.html#...-LastCrawlInfo.
CRAWL = Lifecycle(
    name="crawl status",
    initial="RUNNING",
    transitions=table({
        "RUNNING": ("SUCCEEDED", "FAILED", "CANCELLED"),
        "SUCCEEDED": (),
        "FAILED": (),
        "CANCELLED": (),
    }),
    source=_API + "aws-glue-api-crawler-crawling.html#aws-glue-api-crawler-crawling-LastCrawlInfo",
)

#: ``JobRun.JobRunState``. STARTING -> RUNNING -> SUCCEEDED | FAILED | TIMEOUT | ERROR;
#: BatchStopJobRun: STARTING/RUNNING -> STOPPING -> STOPPED. Source: job-run-statuses.html
#: ("AWS Glue job run statuses") and aws-glue-api-jobs-runs.html#aws-glue-api-jobs-runs-JobRun.
JOB_RUN = Lifecycle(
    name="job run state",
    initial="STARTING",
    transitions=table({
        "STARTING": ("RUNNING", "STOPPING", "FAILED", "ERROR"),
        "RUNNING": ("STOPPING", "SUCCEEDED", "FAILED", "TIMEOUT", "ERROR"),
        "STOPPING": ("STOPPED",),
        "STOPPED": (),
        "SUCCEEDED": (),
        "FAILED": (),
        "TIMEOUT": (),
        "ERROR": (),
    }),
    source=_API + "job-run-statuses.html",
)

#: ``WorkflowRun.Status`` (RUNNING | COMPLETED | STOPPING | STOPPED | ERROR). COMPLETED when
#: nothing more can fire (failed actions included); StopWorkflowRun: STOPPING -> STOPPED once
#: every action ended. Source: aws-glue-api-workflow.html#aws-glue-api-workflow-WorkflowRun.
WORKFLOW_RUN = Lifecycle(
    name="workflow run status",
    initial="RUNNING",
    transitions=table({
        "RUNNING": ("COMPLETED", "STOPPING", "ERROR"),
        "STOPPING": ("STOPPED",),
        "COMPLETED": (),
        "STOPPED": (),
        "ERROR": (),
    }),
    source=_API + "aws-glue-api-workflow.html#aws-glue-api-workflow-WorkflowRun",
)

ALL = (CRAWLER, CRAWL, JOB_RUN, WORKFLOW_RUN)
