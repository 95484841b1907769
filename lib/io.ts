// File output that never leaves a half-written file behind: write a temporary file beside the target, then rename.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const temp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temp, data);
  fs.renameSync(temp, file);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Append one JSON record as a line (JSONL). A crash can at worst leave a torn last line, which readJsonl skips. */
export function appendJsonl(file: string, record: unknown): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.appendFileSync(file, JSON.stringify(record) + '\n');
}

/** Read a JSONL file; a torn final line (from an interrupted append) is dropped, a bad line elsewhere is an error. */
export function readJsonl<T>(file: string): T[] {
  if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const records: T[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      const isLast = lines.slice(i + 1).every((rest) => rest.trim() === '');
      if (!isLast) throw new Error(`${file}:${i + 1}: not valid JSON`);
    }
  });
  return records;
}
