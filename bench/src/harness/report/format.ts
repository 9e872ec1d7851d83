// Number formatting for the tables: fixed, short, and "–" for a figure that does not exist.

export function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–'
}

export function thousands(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en') : '–'
}

export function kib(bytes: number): string {
  return fixed(bytes / 1024, 1)
}

export function mib(bytes: number): string {
  return fixed(bytes / 2 ** 20, 0)
}

export function percent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(0)} %` : '–'
}

export function ratio(numerator: number, denominator: number): string {
  const value = numerator / denominator
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '–'
}

/** A markdown table with padded columns, the way the repository's formatter (Biome) writes them. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) =>
    Math.max(3, cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  )
  const line = (cells: string[]) =>
    `| ${widths.map((width, column) => (cells[column] ?? '').padEnd(width)).join(' | ')} |`
  const rule = `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`
  return [line(header), rule, ...rows.map(line)].join('\n')
}
