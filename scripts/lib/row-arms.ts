// `--as ROW=ARM,...`: which scored arm stands for each row of a result table (srum-gain.ts --phase table,
// sweep-table.ts). One parser, so the flag reads and fails the same way in both.

/**
 * `full=lambda-0.1,no-reference=lambda-0` -> { full: 'lambda-0.1', ... } in the order given. With `rows`, each row must
 * be one of them; without, any non-empty name is a row.
 */
export function parseRowArms<Row extends string>(text: string, rows?: readonly Row[]): Partial<Record<Row, string>> {
  const as: Partial<Record<Row, string>> = {};
  for (const spec of text.split(',').filter((s) => s !== '')) {
    const [row, arm, ...rest] = spec.split('=');
    const known = rows === undefined ? row !== '' : (rows as readonly string[]).includes(row);
    if (!known || !arm || rest.length > 0)
      throw new Error(`--as: "${spec}" is not ROW=ARM${rows === undefined ? '' : ` with a row of ${rows.join(', ')}`}`);
    as[row as Row] = arm;
  }
  return as;
}
