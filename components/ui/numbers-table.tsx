import type { ReactNode } from "react";

/**
 * A chart's numbers as a table for screen readers, in a hidden box (a table ignores `sr-only`'s
 * 1px width and would widen a phone's page). Rows carry their id in `rowAttribute` and cells
 * their column key in `cellAttribute`, so tests read a cell by name. Shared by the Overview's and
 * evals' charts.
 */
export function NumbersTable<Row>({
  testId,
  caption,
  rowLabel,
  rows,
  rowId,
  rowAttribute,
  cellAttribute,
  columns,
}: {
  testId: string;
  caption: string;
  rowLabel: string;
  rows: readonly Row[];
  rowId: (row: Row) => string;
  rowAttribute: `data-${string}`;
  cellAttribute: `data-${string}`;
  columns: ReadonlyArray<{ key: string; label: string; value: (row: Row) => ReactNode }>;
}) {
  return (
    <div className="sr-only">
      <table data-testid={testId}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{rowLabel}</th>
            {columns.map((column) => (
              <th key={column.key} scope="col">
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowId(row)} {...{ [rowAttribute]: rowId(row) }}>
              <th scope="row">{rowId(row)}</th>
              {columns.map((column) => (
                <td key={column.key} {...{ [cellAttribute]: column.key }}>
                  {column.value(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
