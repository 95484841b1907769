"""The released judge parsers restated in Python from reference/official-srum.md (vlm.py's regexes), run with
Python's own `re`, so that the TypeScript `official` mode (lib/judge/parse.ts, which translates them to JavaScript
regexes) can be checked against Python semantics line for line.
Usage: python3 released_parsers.py regions|global IN.jsonl OUT.json   (IN: one {"text": ...} a line)."""
import json
import re
import sys


def answer_text(text):
    if '</think>' in text:
        text = text.split('</think>')[-1]
    return text.strip()


def parse_regions(text):
    regions = {}
    for block in answer_text(text).split('\n\n'):
        block = block.strip()
        region_id = re.search(r'Region ID:\s*(\d+)', block, re.IGNORECASE)
        if not block or not region_id:
            continue
        obj = re.search(r'Identified Object:\s*(.*)', block, re.IGNORECASE)
        score = re.search(r'Score:\s*(-?\d+\.?\d*)', block, re.IGNORECASE)
        reason = re.search(r'Reason:\s*(.*)', block, re.IGNORECASE | re.DOTALL)
        regions[str(int(region_id.group(1)))] = {
            'identified_object': obj.group(1).strip() if obj else None,
            'score': float(score.group(1)) if score else None,
            'reason': reason.group(1).strip() if reason else None,
        }
    return dict(sorted(regions.items(), key=lambda kv: int(kv[0])))


def parse_global(text):
    content = answer_text(text)
    score = re.search(r'Score:\s*(-?\d+\.?\d*)', content, re.IGNORECASE)
    if not score:
        return {}
    rest = content[score.end():].strip()
    reason = rest[len('reason:'):].strip() if rest.lower().startswith('reason:') else rest
    return {'global_layout_score': float(score.group(1)), 'reason': reason}


def main():
    kind, source, out = sys.argv[1:4]
    parse = parse_regions if kind == 'regions' else parse_global
    with open(source, encoding='utf-8') as f:
        parsed = [parse(json.loads(line)['text']) for line in f if line.strip()]
    with open(out, 'w', encoding='utf-8') as f:
        json.dump(parsed, f)


if __name__ == '__main__':
    main()
