/**
 * Chorus's timestamps are stored without a zone and mean UTC (as Prisma writes and reads
 * them). Plain-SQL reads format them in SQL as ISO strings, exactly as `Date#toISOString()`
 * would, instead of letting pg parse them in the process's local zone.
 */
export function utcIsoSql(columnSql: string): string {
  return `to_char(${columnSql}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
