"""
Page-view analytics, in Python (the twin of examples/analytics: both give the same manifest).
Events come in through an ingest API, land in a table (and a topic), a materialized view keeps
per-page totals up to date, and an API serves the totals.
"""
from datetime import datetime

from pydantic import BaseModel

from moose_ts import (
    Api, ApiConfig, ClickHouseEngines, IngestPipeline, IngestPipelineConfig, Key, MaterializedView,
    MaterializedViewOptions, MooseClient, UInt64,
)


class PageView(BaseModel):
    """One page view, as clients send it to POST /ingest/PageView."""

    eventId: Key[str]
    timestamp: datetime
    page: str
    userId: str
    durationMs: float


# The PageView table, the PageView topic (sinking into the table) and the ingest API, in one.
page_views = IngestPipeline[PageView]("PageView", IngestPipelineConfig(table=True, stream=True, ingest_api=True, dead_letter_queue=False))


class PageStats(BaseModel):
    """Running totals per page; SummingMergeTree adds up rows with the same page as parts merge."""

    page: Key[str]
    views: UInt64
    totalDurationMs: float


page_view_table = page_views.get_table()

page_stats = MaterializedView[PageStats](MaterializedViewOptions(
    materialized_view_name="PageStats_mv",
    table_name="PageStats",
    engine=ClickHouseEngines.SummingMergeTree,
    order_by_fields=["page"],
    select_statement=f"SELECT page, count() AS views, sum(durationMs) AS totalDurationMs FROM {page_view_table.name} GROUP BY page",
    select_tables=[page_view_table],
))


class TopPagesParams(BaseModel):
    limit: float = 10  # how many pages to return


class TopPage(BaseModel):
    page: str
    views: float
    totalDurationMs: float


def top_pages(client: MooseClient, params: TopPagesParams) -> list[TopPage]:
    """GET /api/top-pages?limit=10: the most viewed pages."""
    # Parts may not have merged yet: sum again at read time.
    return client.query.execute(
        """
        SELECT page, toFloat64(sum(views)) AS views, sum(totalDurationMs) AS totalDurationMs
        FROM {table}
        GROUP BY page
        ORDER BY views DESC, page
        LIMIT {limit}""",
        {"table": page_stats.target_table, "limit": int(params.limit)},
        row_type=TopPage,
    )


top_pages_api = Api[TopPagesParams, list[TopPage]]("top-pages", top_pages)


class PageParams(BaseModel):
    page: str


class PageSummary(BaseModel):
    page: str
    views: float
    averageDurationMs: float


def page_summary(client: MooseClient, params: PageParams) -> list[PageSummary]:
    """GET /api/top-pages/2?page=/pricing: version 2 answers for one page, with the average duration."""
    return client.query.execute(
        """
        SELECT page, toFloat64(sum(PageStats.views)) AS views, sum(totalDurationMs) / sum(PageStats.views) AS averageDurationMs
        FROM {table} AS PageStats
        WHERE page = {page}
        GROUP BY page""",
        {"table": page_stats.target_table, "page": params.page},
    )


page_summary_api = Api[PageParams, list[PageSummary]]("top-pages", page_summary, ApiConfig(version="2"))
