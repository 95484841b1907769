#!/usr/bin/env python3
"""Execute one notebook top to bottom with nbclient and save the executed copy.

Used by run-notebooks.sh. On a failing cell, prints that cell's source and its outputs (tslab reports
errors on stderr, not in the reply, so nbconvert alone would print an empty "<Error>:"), saves the
partially executed copy, and exits 1.
"""
import argparse
import os
import signal
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def output_text(output):
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return "\n".join(output.get("traceback", [])) or f"{output.get('ename')}: {output.get('evalue')}"
    return output.get("data", {}).get("text/plain", "")


def kill_if_running(pid):
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebook")
    parser.add_argument("--output", required=True, help="where to write the executed copy (may equal the input)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the whole notebook")
    parser.add_argument("--kernel", default="tslab")
    args = parser.parse_args()

    notebook = nbformat.read(args.notebook, as_version=4)
    current = {"index": None}
    deadline = time.monotonic() + args.timeout

    def time_left(cell):
        # Each cell may use what the notebook's budget has left, so a slow notebook stops in a named cell.
        return max(1, int(deadline - time.monotonic()))

    kernel = {"pid": None}

    def remember(cell, cell_index, **_):
        current["index"] = cell_index
        if kernel["pid"] is None:
            kernel["pid"] = getattr(getattr(client.km, "provisioner", None), "pid", None)

    client = NotebookClient(
        notebook,
        timeout_func=time_left,
        kernel_name=args.kernel,
        # The kernel starts in the notebook's folder, as it does when a user opens the notebook.
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.notebook))}},
        on_cell_execute=remember,
    )
    failure = None
    try:
        client.execute()
    except Exception as error:  # any failure: report the cell it happened in and keep the partial copy
        failure = error
        # nbclient shuts the kernel down, also on SIGTERM; if that went wrong, do not leave it running.
        kill_if_running(kernel["pid"])
    nbformat.write(notebook, args.output)
    if failure is None:
        return 0

    index = current["index"]
    print(f"{os.path.basename(args.notebook)}: {type(failure).__name__} in cell {index}", file=sys.stderr)
    if index is not None:
        cell = notebook.cells[index]
        print("---- cell source ----\n" + cell.source, file=sys.stderr)
        print("---- cell output ----", file=sys.stderr)
        for output in cell.get("outputs", []):
            print(output_text(output).rstrip("\n"), file=sys.stderr)
    if not isinstance(failure, CellExecutionError):  # a CellExecutionError only repeats the cell source
        print(f"---- {failure}".rstrip(), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
