"""What a reader does with a `hupwatch report` page, done in a real headless
Chromium (report_devtools.py) and checked in what the page then shows:

- hovering a job's bar shows its why (lineage, command, end, and the
  verdict in the very words `hupwatch why` prints); a click pins another
  job's why, which hovering then leaves in place, and a second click
  unpins it;
- the zoom and pan keys change the visible window (data-view-ms) as the
  legend says, and the drawn elements move with it;
- at the first view, no two arrow captions overlap as drawn.
"""
from e2e_common import fail, ok
from report_devtools import Page

WHY_TEXT = "[...document.querySelectorAll('#why h3, #why p')].map(e => e.textContent)"


def why_verdict(store, pid):
    """The verdict line `hupwatch why PID` prints (its "verdict" field)."""
    code, out, err = store.text("why", str(pid))
    if code != 0:
        fail(f"why {pid} exited {code}: {err}")
    lines = [line[len("  verdict    "):] for line in out.splitlines()
             if line.startswith("  verdict    ")]
    if len(lines) != 1:
        fail(f"why {pid}: no single verdict line in {out!r}")
    return lines[0]


def shown(page):
    if page.eval("document.getElementById('why').hidden"):
        fail("the why panel is hidden")
    return page.eval(WHY_TEXT)


def expect_why(page, pid, bash, end, verdict):
    lines = shown(page)
    lineage = f"lineage: bash {bash}"  # its parent first, then bash's own, if recorded
    head_ok = (len(lines) > 4 and lines[0] == f"sleep {pid}" and lines[2] == "command: sleep 1000"
               and (lines[1] == lineage or lines[1].startswith(lineage + " \u2190 ")))
    if not head_ok:
        fail(f"the why of {pid}: {lines!r}, expected sleep {pid}, {lineage!r}, sleep 1000")
    if not lines[3].startswith("end: " + end):
        fail(f"the why of {pid}: end {lines[3]!r}, expected {'end: ' + end!r}...")
    if verdict not in lines[4:]:
        fail(f"the why of {pid}: {lines[4:]!r} lacks why's verdict line {verdict!r}")


def check_why(page, store, killed, survivor, bash):
    killed_verdict, survivor_verdict = why_verdict(store, killed), why_verdict(store, survivor)
    if not page.eval("document.getElementById('why').hidden"):
        fail("the why panel shows before any hover")
    page.hover(f'g.p[data-pid="{killed}"] rect.bar')
    expect_why(page, killed, bash, "killed by SIGHUP at ", killed_verdict)
    page.click(f'text.lbl[data-key^="{survivor}:"]')
    expect_why(page, survivor, bash, "running at the end of the window", survivor_verdict)
    page.hover(f'g.p[data-pid="{killed}"] rect.bar')
    expect_why(page, survivor, bash, "running", survivor_verdict)  # pinned
    page.click(f'text.lbl[data-key^="{survivor}:"]')  # unpinned: hover shows again
    page.hover(f'g.p[data-pid="{killed}"] rect.bar')
    expect_why(page, killed, bash, "killed by SIGHUP at ", killed_verdict)
    ok(f"hover shows sleep {killed}'s why, a click pins sleep {survivor}'s; verdicts read as why's")


def check_zoom_and_pan(page):
    root = "document.documentElement.dataset"
    span = float(page.eval(f"{root}.spanMs"))
    left, width = float(page.eval(f"{root}.labelWidth")), float(page.eval(f"{root}.plotWidth"))
    marker = 'document.querySelector("g.mark.hangup[data-t]")'
    t = float(page.eval(f"{marker}.dataset.t"))

    def expect_view(keys, start, end, k):
        for key in keys:
            page.press(key)
        view = [float(v) for v in page.eval(f"{root}.viewMs").split()]
        if abs(view[0] - start) > 0.01 or abs(view[1] - end) > 0.01:
            fail(f"after {keys}: visible {view}, expected [{start:.3f}, {end:.3f}] of {span} ms")
        x = float(page.eval(f"{marker}.getAttribute('transform')")[len("translate("):].split(",")[0])
        expected_x = left + (t - start) * width * k / span
        if abs(x - expected_x) > 0.1:
            fail(f"after {keys}: the hangup marker at x {x}, expected {expected_x:.1f}")

    expect_view([], 0, span, 1)
    expect_view(["+"], span / 4, span * 3 / 4, 2)
    expect_view(["ArrowRight"], span * 0.35, span * 0.85, 2)
    expect_view(["ArrowLeft", "ArrowLeft"], span * 0.15, span * 0.65, 2)
    expect_view(["-"], 0, span, 1)  # zoomed back out, clamped to the window
    expect_view(["+", "+", "0"], 0, span, 1)
    ok(f"keys: + zooms to the middle half, arrows pan a fifth, - and 0 zoom out ({span:.0f} ms)")


def check_captions_apart(page):
    boxes = page.eval("""[...document.querySelectorAll('svg.tl')].map(svg =>
        [...svg.querySelectorAll('.arrow text')].map(t => {
            const r = t.getBoundingClientRect();
            return [t.textContent, r.left, r.right, r.top, r.bottom];
        }))""")
    count = 0
    for lane in boxes:
        count += len(lane)
        for i, a in enumerate(lane):
            for b in lane[i + 1:]:
                if a[1] < b[2] - 0.5 and b[1] < a[2] - 0.5 and a[3] < b[4] - 0.5 and b[3] < a[4] - 0.5:
                    fail(f"arrow captions overlap as drawn: {a!r} and {b!r}")
    if count == 0:
        fail("no arrow caption drawn (the hangup's signal from outside the lane has one)")
    ok(f"{count} arrow captions, none overlapping as drawn")


def check_interaction(html_path, store, killed, survivor, bash):
    page = Page(html_path)
    try:
        check_captions_apart(page)
        check_why(page, store, killed, survivor, bash)
        check_zoom_and_pan(page)
    finally:
        page.close()
