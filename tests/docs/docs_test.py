#!/usr/bin/python3
"""Checks the project's Markdown pages: their links, and the descent commands they show.

Usage: docs_test.py --repo DIR --cli PATH   (ctest runs it as `docs`, the CLI from CMake)

The pages are README.md, docs/**/*.md and every other *.md of the repository outside build
directories, virtual environments and hidden directories.

Links. Every [text](target), ![alt](target) and [label]: target outside code must be an http(s)
or mailto address, or a path relative to the page that names a file or directory inside the
repository; a #anchor must be a heading of the target page (GitHub's slugs: lower case,
punctuation dropped, each space a hyphen, -1, -2, ... for repeats) or an explicit id/name.
No page may point outside the repository at all, in a link or in its text: no ../shared, and
no absolute /work/, /home/, /root/ or /tmp/ paths.

Paths in text. A `code span` outside code blocks that reads as a path into the repository (no
spaces, a slash, its first part a top-level directory of the repository, no placeholder such as
<rule>, NAME, * or ...) must name an existing file or directory, a trailing :LINE or ::symbol
aside: a page that names a file that has moved is stale.

Commands. A command is a line of a fenced code block whose info string is empty, sh, shell,
bash or console, which after its indentation and an optional "$ " prompt starts with
"descent" or "build/descent" (a line ending in a backslash continues on the next). Other
lines (make, python3, output) are not run; a block of another kind (```text for a synopsis
with placeholders, ```cpp, ...) is not read. Each page's commands run in order, under
/bin/sh, in one fresh temporary directory of their own, so a command may read what an
earlier one on the page wrote; there `descent` (on PATH) and `build/descent` are the CLI under
test. Each must exit with 0 within COMMAND_TIMEOUT seconds.

HTML comments (invisible on the rendered page) on the lines right before a fence change what
happens to that block:
  <!-- docs-test: skip REASON -->     its commands are not run (REASON is required)
  <!-- docs-test: files NAME ... -->  first copies each tests/docs/files/NAME into the directory
  <!-- docs-test: output -->          (```console only) the lines after each "$ " command, up to
                                      the next one, are its output: they must equal its stdout
                                      (trailing spaces and blank lines aside)
  <!-- docs-test: source PATH -->     the block is the file PATH of the repository, line for line
                                      (a program a test builds and runs, shown whole), so the
                                      page and the file cannot drift apart

A failure is reported as FILE:LINE: what is wrong (for a command: its exit code and stderr).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

COMMAND_TIMEOUT = 60
RUN_LANGS = {"", "sh", "shell", "bash", "console"}
SKIP_DIRS = {"node_modules", "__pycache__", "venv"}
OUTSIDE = re.compile(r"\.\./shared|(?<![\w.~-])/(?:work|home|root|tmp)/")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
DIRECTIVE = re.compile(r"^\s*<!--\s*docs-test:\s*(\w+)\s*(.*?)\s*-->\s*$")
LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\".*\")?\s*$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
HTML_ID = re.compile(r"<a\s[^>]*(?:name|id)=\"([^\"]+)\"")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
PLACEHOLDER = re.compile(r"[<>*{}|$?\[\]]|\.\.\.|\b[A-Z]{3,}\b")
COMMAND = re.compile(r"^(?:\$\s+)?((?:build/)?descent(?:\s.*)?)$")


@dataclass
class Block:
    lang: str
    line: int  # of the opening fence, from 1
    lines: list  # (line number, text)
    directives: list = field(default_factory=list)  # (line number, name, argument)


@dataclass
class Page:
    path: Path
    rel: str
    text_lines: list  # (line number, text) outside fenced blocks
    blocks: list


def markdown_files(repo):
    found = []
    for root, dirs, files in os.walk(repo):
        dirs[:] = sorted(d for d in dirs if not (d.startswith(".") or d.startswith("build") or d in SKIP_DIRS
                                                 or d.startswith("venv")))
        found += [Path(root) / f for f in sorted(files) if f.endswith(".md")]
    return found


def parse(path, repo):
    text_lines, blocks = [], []
    block, fence_open, pending = None, "", []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fence = FENCE.match(line)
        if block is not None:
            # A block closes at a fence of its own character, at least as long, with no info string.
            if fence and fence.group(2)[0] == fence_open[0] and len(fence.group(2)) >= len(fence_open) \
                    and not fence.group(3):
                blocks.append(block)
                block = None
            else:
                block.lines.append((n, line))
            continue
        if fence:
            block, fence_open, pending = Block(fence.group(3).lower(), n, [], pending), fence.group(2), []
            continue
        d = DIRECTIVE.match(line)
        if d:
            pending = pending + [(n, d.group(1), d.group(2))]
        elif line.strip():
            pending = []
        text_lines.append((n, line))
    if block is not None:
        raise SystemExit(f"{path.relative_to(repo)}:{block.line}: code block is never closed")
    return Page(path, str(path.relative_to(repo)), text_lines, blocks)


def plain_heading(text):
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link's text is what shows
    return re.sub(r"<[^>]+>", "", text)


def slug(text):
    kept = []
    for c in plain_heading(text).lower():
        cat = unicodedata.category(c)
        if c in "-_" or cat[0] in "LM" or cat in ("Nd", "Nl"):
            kept.append(c)
        elif c == " ":
            kept.append("-")
    return "".join(kept)


def anchors(page):
    seen, result = {}, set()
    for _, line in page.text_lines:
        result.update(HTML_ID.findall(line))
        h = HEADING.match(line)
        if not h:
            continue
        s = slug(h.group(2))
        k = seen.get(s, 0)
        seen[s] = k + 1
        result.add(s if k == 0 else f"{s}-{k}")
    return result


def check_links(page, pages, repo, errors):
    for n, line in page.text_lines + [x for b in page.blocks for x in b.lines]:
        for m in OUTSIDE.finditer(line):
            errors.append(f"{page.rel}:{n}: points outside the repository: '{m.group(0)}' in: {line.strip()}")
    for n, line in page.text_lines:
        bare = INLINE_CODE.sub("", line)
        targets = LINK.findall(bare)
        ref = REF_DEF.match(bare)
        if ref:
            targets.append(ref.group(1))
        for target in targets:
            if re.match(r"^(https?:|mailto:)", target):
                continue
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("/"):
                errors.append(f"{page.rel}:{n}: link '{target}' is not relative to the page nor an http(s) address")
                continue
            file_part, _, anchor = target.partition("#")
            dest = (page.path.parent / file_part).resolve() if file_part else page.path.resolve()
            if repo != dest and repo not in dest.parents:
                errors.append(f"{page.rel}:{n}: link '{target}' leaves the repository")
                continue
            if not dest.exists():
                errors.append(f"{page.rel}:{n}: link '{target}': no file {dest.relative_to(repo)}")
                continue
            if anchor:
                other = pages.get(dest)
                if other is None:
                    errors.append(f"{page.rel}:{n}: link '{target}': #{anchor} into a file that is not a Markdown page")
                elif anchor not in anchors(other):
                    errors.append(f"{page.rel}:{n}: link '{target}': {other.rel} has no heading #{anchor}")


def check_paths(page, repo, errors):
    tops = {p.name for p in repo.iterdir() if p.is_dir() and not p.name.startswith((".", "build"))}
    for n, line in page.text_lines:
        for m in INLINE_CODE.finditer(line):
            span = m.group(2).strip()
            if " " in span or "/" not in span or span.split("/")[0] not in tops or PLACEHOLDER.search(span):
                continue
            path = re.sub(r"(::\w+|:\d+(:\d+)?)$", "", span).rstrip(".,;:")
            if not (repo / path).exists():
                errors.append(f"{page.rel}:{n}: `{span}`: no such file or directory in the repository")


def check_sources(page, repo, errors):
    for b in page.blocks:
        for n, name, arg in b.directives:
            if name != "source":
                continue
            src = (repo / arg).resolve() if arg else repo
            if not arg or repo not in src.parents or not src.is_file():
                errors.append(f"{page.rel}:{n}: docs-test: source: no file '{arg}' in the repository")
                continue
            shown = [line for _, line in b.lines]
            actual = src.read_text(encoding="utf-8").splitlines()
            for i, (a, f) in enumerate(zip(shown, actual)):
                if a != f:
                    errors.append(f"{page.rel}:{b.line + 1 + i}: the block differs from {arg} at its line {i + 1}:"
                                  f"\n    page: {a}\n    file: {f}")
                    break
            else:
                if len(shown) != len(actual):
                    errors.append(f"{page.rel}:{b.line}: the block has {len(shown)} lines, {arg} {len(actual)}")


def commands(block):
    """The block's commands as [line number, command text, output lines shown after it]."""
    found, pending = [], False
    for n, line in block.lines:
        if pending:
            found[-1][1] += " " + line.strip()
        else:
            m = COMMAND.match(line.strip())
            prompt = line.strip().startswith("$")
            if not m or (block.lang == "console" and not prompt):
                if found and block.lang == "console" and not prompt:
                    found[-1][2].append(line.rstrip())
                elif prompt:
                    found.append(None)  # another program's command: its output is not ours
                continue
            found.append([n, m.group(1), []])
        pending = found[-1][1].endswith("\\")
        if pending:
            found[-1][1] = found[-1][1][:-1].rstrip()
    result = [c for c in found if c is not None]
    for c in result:
        while c[2] and not c[2][-1]:
            c[2].pop()
    return result


def output_mismatch(shown, actual):
    got = [line.rstrip() for line in actual.splitlines()]
    while got and not got[-1]:
        got.pop()
    for i, (a, b) in enumerate(zip(shown, got)):
        if a != b:
            return f"output line {i + 1} differs:\n    shown: {a}\n    got:   {b}"
    if len(shown) != len(got):
        return f"shows {len(shown)} output lines, the command printed {len(got)}"
    return None


def run_commands(page, repo, cli, errors, log):
    for b in page.blocks:
        if any(d[1] == "output" for d in b.directives) and b.lang != "console":
            errors.append(f"{page.rel}:{b.line}: docs-test: output needs a ```console block")
    runnable = [b for b in page.blocks if b.lang in RUN_LANGS and commands(b)]
    if not runnable:
        return 0
    count = 0
    with tempfile.TemporaryDirectory(prefix="descent-docs-") as work:
        work = Path(work)
        bindir = work / ".bin"
        bindir.mkdir()
        (bindir / "descent").symlink_to(cli)
        (work / "build").mkdir()
        (work / "build" / "descent").symlink_to(cli)
        env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
        for block in runnable:
            skip = [d for d in block.directives if d[1] == "skip"]
            check_output = any(d[1] == "output" for d in block.directives)
            for n, name, arg in block.directives:
                if name not in ("skip", "files", "output", "source"):
                    errors.append(f"{page.rel}:{n}: unknown docs-test directive '{name}' (skip, files, output or source)")
                elif name == "skip" and not arg:
                    errors.append(f"{page.rel}:{n}: docs-test: skip needs a reason")
                elif name == "files":
                    for f in arg.split():
                        src = repo / "tests" / "docs" / "files" / f
                        if not src.is_file():
                            errors.append(f"{page.rel}:{n}: docs-test: files: no tests/docs/files/{f}")
                        else:
                            shutil.copy(src, work / f)
            for n, cmd, shown in commands(block):
                if skip:
                    log.append(f"{page.rel}:{n}: skipped, {skip[0][2]}: {cmd}")
                    continue
                begin = time.monotonic()
                try:
                    r = subprocess.run(["/bin/sh", "-c", cmd], cwd=work, env=env, stdin=subprocess.DEVNULL,
                                       capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
                    code, out, err = r.returncode, r.stdout, r.stderr.strip()
                except subprocess.TimeoutExpired as e:
                    code, out, err = "timeout", "", f"still running after {COMMAND_TIMEOUT} s; {e.stderr or ''}"
                count += 1
                log.append(f"{page.rel}:{n}: {time.monotonic() - begin:6.2f} s  exit {code}: {cmd}")
                if code != 0:
                    errors.append(f"{page.rel}:{n}: `{cmd}` exited with {code}:\n    " +
                                  ("\n    ".join(err.splitlines()[-10:]) or "(no stderr)"))
                elif check_output:
                    wrong = output_mismatch(shown, out)
                    if wrong:
                        errors.append(f"{page.rel}:{n}: `{cmd}`: the page's output is stale: {wrong}")
    return count


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", required=True, type=Path)
    ap.add_argument("--cli", required=True, type=Path)
    ap.add_argument("--no-run", action="store_true", help="check the links only")
    a = ap.parse_args()
    repo, cli = a.repo.resolve(), a.cli.resolve()
    if not a.no_run and not os.access(cli, os.X_OK):
        raise SystemExit(f"--cli {a.cli}: not an executable")
    began = time.monotonic()
    pages = {p.resolve(): parse(p, repo) for p in markdown_files(repo)}
    if repo / "README.md" not in pages:
        raise SystemExit(f"--repo {a.repo}: no README.md")
    errors, log, ran = [], [], 0
    for page in pages.values():
        check_links(page, pages, repo, errors)
        check_paths(page, repo, errors)
        check_sources(page, repo, errors)
    if not a.no_run:
        for page in pages.values():
            ran += run_commands(page, repo, cli, errors, log)
    if log:
        print("\n".join(log))
    print(f"docs: {len(pages)} pages, {ran} commands run, {time.monotonic() - began:.1f} s")
    if errors:
        print(f"\n{len(errors)} problem(s):\n" + "\n".join(errors), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
