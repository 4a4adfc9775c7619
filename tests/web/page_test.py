#!/usr/bin/env python3
"""The playground page in headless Chromium (Debian's chromium and chromedriver, driven by
selenium from PyPI): it loads with no console error, the lr slider changes the drawn path, a
click on the plot (or an arrow key) moves the start point, the explain rows match the native
`descent explain` for that step bit for bit, the CSV download holds the paths, and a share link
restores the settings. It measures how long a
slider move takes to re-run and redraw five optimizers × 500 steps (reported, not asserted) and
saves screenshots (wide and narrow).

    page_test.py --cli build/descent --site build/web/site --out build/web
"""
import argparse
import functools
import http.server
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--window-size=1280,1000"]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(site):
    """python3's http.server on 127.0.0.1, on a port the system picks."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def browser(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


class Page:
    def __init__(self, driver):
        self.d = driver

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def load(self, url):
        self.d.get(url)
        WebDriverWait(self.d, 30).until(lambda d: d.execute_script("return !!(window.descentPage && window.descentPage.ready)"))
        # The paths animate in at first; wait for the animation to end.
        WebDriverWait(self.d, 30).until(lambda d: d.execute_script("return !window.descentPage.state.playing"))

    def runs(self):
        return self.js("""return window.descentPage.answer().runs.map(r => ({optimizer: r.optimizer, lr: r.lr,
                          x: Array.from(r.x), grad: Array.from(r.grad)}));""")

    def start(self):
        return self.js("return window.descentPage.answer().start")

    def canvas(self):
        return self.js("return document.getElementById('plot').toDataURL('image/png')")

    def console_errors(self):
        return [e for e in self.d.get_log("browser") if e["level"] == "SEVERE"]


checks = []


def check(name, ok, detail=""):
    checks.append(ok)
    print(f"{'ok' if ok else 'FAIL'}: {name}{' (' + detail + ')' if detail else ''}", flush=True)


def explain_native(cli, optimizer, grads, w0, lr, convention, fmt):
    cmd = [cli, "explain", optimizer, "--grads", ",".join(repr(g) for g in grads), "--w0", repr(w0),
           "--lr", repr(lr), "--convention", convention, "--format", fmt]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def test_lr_slider(page):
    before_path, before_pixels = page.runs()[0], page.canvas()
    page.js("document.getElementById('editing').value = 'sgd'; document.getElementById('editing').dispatchEvent(new Event('change'))")
    slider = page.d.find_element(By.ID, "slider-lr")
    for _ in range(8):
        slider.send_keys(Keys.ARROW_RIGHT)
    after_path, after_pixels = page.runs()[0], page.canvas()
    check("the lr slider sets sgd's lr", after_path["lr"] > before_path["lr"], f"{before_path['lr']} -> {after_path['lr']}")
    check("the lr slider changes the path", after_path["x"] != before_path["x"])
    check("the lr slider changes the drawn picture", after_pixels != before_pixels)


def test_click(page):
    canvas = page.d.find_element(By.ID, "plot")
    fn = page.js("const f = window.descentPage.api.functions().find(f => f.name === window.descentPage.state.function); return f.window")
    width, height = canvas.size["width"], canvas.size["height"]
    # Selenium's offsets are from the element's centre: click at 30% across, 40% down.
    cx, cy = 0.3 * width, 0.4 * height
    ActionChains(page.d).move_to_element_with_offset(canvas, int(cx - width / 2), int(cy - height / 2)).click().perform()
    xlo, xhi, ylo, yhi = fn
    expected = [xlo + 0.3 * (xhi - xlo), yhi - 0.4 * (yhi - ylo)]
    start = page.start()
    pixel = [(xhi - xlo) / width, (yhi - ylo) / height]
    check("a click on the plot moves the start point there",
          all(abs(start[i] - expected[i]) <= 1.5 * pixel[i] for i in range(2)), f"{start} vs {expected}")
    check("every path starts at the new start point", all(r["x"][:2] == start for r in page.runs()))


def test_keyboard(page):
    before = page.start()
    page.d.find_element(By.ID, "plot").send_keys(Keys.ARROW_RIGHT)
    xlo, xhi = page.js("return window.descentPage.api.functions().find(f => f.name === window.descentPage.state.function).window")[:2]
    after = page.start()
    check("the arrow keys on the focused plot move the start point", after[0] > before[0] and after[1] == before[1]
          and abs(after[0] - before[0] - (xhi - xlo) / 50) < 1e-12, f"{before} -> {after}")


def test_csv(page):
    page.d.find_element(By.ID, "csv").click()
    text = page.d.execute_async_script("""const done = arguments[arguments.length - 1];
        fetch(document.getElementById('csv').href).then(r => r.text()).then(done);""")
    lines = text.strip().split("\n")
    runs = page.runs()
    rows = [line.split(",") for line in lines[1:]]
    adam = [r for r in rows if r[2] == "adam"]
    run = next(r for r in runs if r["optimizer"] == "adam")
    check("the CSV has every point of every path", len(rows) == sum(len(r["x"]) // 2 for r in runs),
          f"{len(rows)} rows")
    check("the CSV's adam rows are its path", [float(r[5]) for r in adam] == run["x"][0::2]
          and [float(r[6]) for r in adam] == run["x"][1::2])


def test_explain(page, cli, t):
    page.js(f"const s = document.getElementById('shown'); s.value = {t}; s.dispatchEvent(new Event('input'))")
    start, runs = page.start(), page.runs()
    convention = page.js("return window.descentPage.state.convention")
    for name in ["adam", "rmsprop"]:
        run = next(r for r in runs if r["optimizer"] == name)
        for i, coordinate in enumerate(["x", "y"]):
            row = page.d.find_element(By.CSS_SELECTOR, f"#explain tr[data-optimizer='{name}'][data-coordinate='{coordinate}']")
            cells = row.find_elements(By.TAG_NAME, "td")[2:7]
            grads = run["grad"][i:2 * t:2]
            native = json.loads(explain_native(cli, name, grads, start[i], run["lr"], convention, "json"))["steps"][t - 1]
            want = [native["g"], native["m"], native["v"], native["eta"], native["w"]]
            got = [None if c.get_attribute("data-value") is None else float(c.get_attribute("data-value")) for c in cells]
            check(f"explain row of {name}, {coordinate}, step {t}: bit for bit as native explain", got == want,
                  f"page {got} native {want}")
            table = explain_native(cli, name, grads, start[i], run["lr"], convention, "table").strip().splitlines()[-1]
            check(f"explain row of {name}, {coordinate}: printed as native explain prints it",
                  [c.text for c in cells] == table.split()[1:6], f"page {[c.text for c in cells]} native {table.split()[1:6]}")


def test_share(page):
    time.sleep(0.5)  # the page writes the URL 300 ms after the last change
    link = page.d.find_element(By.ID, "link").get_attribute("value")
    lr = page.js("return window.descentPage.state.options.sgd.lr")
    start = page.start()
    page.d.get("about:blank")
    page.load(link)
    check("the share link restores sgd's lr and the start point",
          page.js("return window.descentPage.state.options.sgd.lr") == lr and page.start() == start)


def measure_frame(page, moves):
    """Five optimizers × 500 steps: the time from a slider's input event to the redrawn page, and
    whether the redraw was done before the next animation frame."""
    page.js("const s = document.getElementById('steps'); s.value = 500; s.dispatchEvent(new Event('change'))")
    runs = page.runs()
    taken = [len(r["x"]) // 2 - 1 for r in runs]
    check("five optimizers × 500 steps", len(runs) == 5 and page.js("return window.descentPage.state.steps") == 500,
          f"steps taken {taken}")
    page.js("window.descentPage.timings.length = 0")
    in_frame = page.d.execute_async_script("""
        const done = arguments[arguments.length - 1], moves = arguments[0];
        const slider = document.getElementById('slider-lr'), within = [];
        let k = 0;
        function move() {
          if (k === moves) { done(within); return; }
          const frame = performance.now();
          requestAnimationFrame((t) => {
            // A frame starts at t: move the slider, then see whether the next frame comes on time.
            slider.value = String(-3 + 0.01 * (k++ % 100));
            slider.dispatchEvent(new Event('input'));
            const end = performance.now();
            requestAnimationFrame((next) => { within.push([end - t, next - t]); move(); });
          });
        }
        move();""", moves)
    timings = page.js("return window.descentPage.timings")
    runs = page.js("return window.descentPage.runTimes")
    print(f"figure: slider move, 5 optimizers x 500 steps, re-run + redraw: median {statistics.median(timings):.2f} ms, "
          f"max {max(timings):.2f} ms over {len(timings)} moves (one frame at 60 Hz: 16.7 ms); of which minimize: "
          f"median {statistics.median(runs):.2f} ms", flush=True)
    spans = [s[1] for s in in_frame]
    print(f"figure: frame interval around a move: median {statistics.median(spans):.2f} ms, max {max(spans):.2f} ms", flush=True)
    check("the moves were timed", len(timings) == moves)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cli", required=True)
    p.add_argument("--site", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    if not (Path(a.site) / "api.mjs").exists():
        sys.exit(f"{a.site}/api.mjs is missing: build the page with make web")
    server = serve(a.site)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    with tempfile.TemporaryDirectory() as profile:
        driver = browser(profile)
        try:
            page = Page(driver)
            page.load(url)
            check("the page loads with no console error", not page.console_errors(), str(page.console_errors()))
            test_lr_slider(page)
            test_click(page)
            test_keyboard(page)
            test_explain(page, a.cli, 7)
            test_csv(page)
            Path(a.out).mkdir(parents=True, exist_ok=True)
            page.js("const s = document.getElementById('shown'); s.value = s.max; s.dispatchEvent(new Event('input'))")
            driver.set_window_size(1280, 1500)
            driver.save_screenshot(str(Path(a.out) / "screenshot.png"))
            driver.set_window_size(1280, 1000)
            test_share(page)
            measure_frame(page, 30)
            driver.set_window_size(420, 1400)
            driver.save_screenshot(str(Path(a.out) / "screenshot-narrow.png"))
            errors = page.console_errors()
            check("no console error after it all", not errors, str(errors))
        finally:
            driver.quit()
            server.shutdown()
    print(f"{sum(checks)} passed, {len(checks) - sum(checks)} failed")
    sys.exit(0 if all(checks) else 1)


if __name__ == "__main__":
    main()
