"""The released training loader's reward map restated in Python with numpy (reference/official-srum.md,
"Reward map (official training loader)"), run on a rewards JSONL so that `srum reward-map` can be compared with
it. Python's own int() and float arithmetic decide what a box or score is; numpy float32 holds the map.
A judge-form record (top-level global_layout_reward) goes through the released formatter's conversion first.
Usage: python3 released_loader.py IN.jsonl WIDTH HEIGHT OUT.json   (OUT: one H x W list, or null, per line)."""
import json
import sys

import numpy as np


def loader_entries(record):
    rewards = record['vlm_rewards']
    loader_shaped = 'global_layout_reward' not in record and (
        'bad_image_file' in record or any(isinstance(e, dict) and 'object' in e for e in rewards))
    if loader_shaped:
        return rewards
    entries = []
    g = record.get('global_layout_reward')
    if isinstance(g, dict):
        entries.append({'object': 'global_layout_reward', 'score': g.get('global_layout_score'), 'bbox': g.get('bbox')})
    for e in rewards:
        if not isinstance(e, dict):
            entries.append(e)
        elif 'identified_object' in e:
            entry = {'object': e['identified_object'], 'bbox': e.get('bbox')}
            if 'score' in e:
                entry['score'] = e['score']
            entries.append(entry)
    return entries


def reward_map(entries, width, height):
    reward = np.full((height, width), 0.5, dtype=np.float32)
    g = 0.0
    for item in entries:
        if item.get('object') == 'global_layout_reward':
            g = item.get('score')
            g = 0.0 if g is None else g
            break
    for item in entries:
        if item.get('object') == 'global_layout_reward':
            continue
        bbox = item.get('bbox')
        if not isinstance(bbox, list) or len(bbox) != 4:
            continue
        try:
            x1, y1, x2, y2 = [int(v) for v in bbox]
        except (ValueError, TypeError):
            continue
        if x1 >= x2 or y1 >= y2:
            continue
        weight = (item.get('score', 0.0) + 1.0) / 2.0
        x1, y1 = max(0, x1), max(0, y1)
        x2, y2 = min(width, x2), min(height, y2)
        if x1 < x2 and y1 < y2:  # a box wholly outside the image paints nothing (no negative-index slices)
            reward[y1:y2, x1:x2] = np.maximum(reward[y1:y2, x1:x2], weight)
    return reward * ((g + 1.0) / 2.0)


def main():
    source, width, height, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    maps = []
    with open(source, encoding='utf-8') as f:
        for line in f:
            if not line.strip():
                continue
            try:
                maps.append(reward_map(loader_entries(json.loads(line)), width, height).tolist())
            except Exception:  # the released loader prints the error and drops the sample
                maps.append(None)
    with open(out, 'w', encoding='utf-8') as f:
        json.dump(maps, f)


if __name__ == '__main__':
    main()
