/**
 * Page-view analytics: events come in through an ingest API, land in a table (and a topic), a
 * materialized view keeps per-page totals up to date, and an API serves the totals.
 */
import { Api, ClickHouseEngines, IngestPipeline, MaterializedView, sql, type Key, type UInt64 } from "moose-ts";

/** One page view, as clients send it to POST /ingest/PageView. */
export interface PageView {
  eventId: Key<string>;
  timestamp: Date;
  page: string;
  userId: string;
  durationMs: number;
}

/** The PageView table, the PageView topic (sinking into the table) and the ingest API, in one. */
export const pageViews = new IngestPipeline<PageView>("PageView", {
  table: true,
  stream: true,
  ingestApi: true,
});

/** Running totals per page; SummingMergeTree adds up rows with the same page as parts merge. */
export interface PageStats {
  page: Key<string>;
  views: UInt64;
  totalDurationMs: number;
}

const pageViewTable = pageViews.table!;

export const pageStats = new MaterializedView<PageStats>({
  materializedViewName: "PageStats_mv",
  tableName: "PageStats",
  engine: ClickHouseEngines.SummingMergeTree,
  orderByFields: ["page"],
  selectStatement: sql`SELECT page, count() AS views, sum(durationMs) AS totalDurationMs FROM ${pageViewTable} GROUP BY page`,
  selectTables: [pageViewTable],
});

interface TopPagesParams {
  /** How many pages to return. */
  limit?: number;
}

interface TopPage {
  page: string;
  views: number;
  totalDurationMs: number;
}

/** GET /api/top-pages?limit=10: the most viewed pages. */
export const topPages = new Api<TopPagesParams, TopPage[]>("top-pages", async ({ limit = 10 }, { client, sql }) => {
  // Parts may not have merged yet: sum again at read time.
  const result = await client.query.execute<TopPage>(sql`
    SELECT page, toFloat64(sum(views)) AS views, sum(totalDurationMs) AS totalDurationMs
    FROM ${pageStats.targetTable}
    GROUP BY page
    ORDER BY views DESC, page
    LIMIT ${limit}`);
  return result.json();
});

interface PageParams {
  page: string;
}

interface PageSummary {
  page: string;
  views: number;
  averageDurationMs: number;
}

/** GET /api/top-pages/2?page=/pricing: version 2 answers for one page, with the average duration. */
export const pageSummary = new Api<PageParams, PageSummary[]>(
  "top-pages",
  async ({ page }, { client, sql }) => {
    const result = await client.query.execute<PageSummary>(sql`
      SELECT page, toFloat64(sum(PageStats.views)) AS views, sum(totalDurationMs) / sum(PageStats.views) AS averageDurationMs
      FROM ${pageStats.targetTable} AS PageStats
      WHERE page = ${page}
      GROUP BY page`);
    return result.json();
  },
  { version: "2" },
);
