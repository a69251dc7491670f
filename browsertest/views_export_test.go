package browsertest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// captureDownloads makes the page keep every file it offers for download
// (the Blob given to URL.createObjectURL and the <a download> name) in
// window.__downloads, instead of saving it.
func captureDownloads(t *testing.T, p *Page) {
	t.Helper()
	Eval[bool](p, `(() => {
		if (window.__downloads) return true;
		window.__downloads = [];
		const blobs = new Map();
		const create = URL.createObjectURL.bind(URL);
		URL.createObjectURL = (b) => { const u = create(b); blobs.set(u, b); return u; };
		HTMLAnchorElement.prototype.click = function () {
			if (this.download) window.__downloads.push({name: this.download, href: this.href, blob: blobs.get(this.href)});
		};
		return true; })()`)
}

type download struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Text string `json:"text"` // text, or base64 for binary types
}

// lastDownload runs the export named by what (as the Export menu does) and returns the file.
func exportFile(t *testing.T, p *Page, what, opts string) download {
	t.Helper()
	return Eval[download](p, `(async () => {
		const m = await import("./web/export.js");
		const before = window.__downloads.length;
		await m.exportAs(window.distlabUI.app, `+jsq(what)+`, `+opts+`);
		const d = window.__downloads[before];
		if (!d) throw new Error("no download");
		let text;
		if (d.blob.type.startsWith("image/png")) {
			const b = new Uint8Array(await d.blob.arrayBuffer()); let s = "";
			for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
			text = btoa(s);
		} else text = await d.blob.text();
		return {name: d.name, type: d.blob.type, text};
	})()`)
}

// TestExportDiagramAndTrace: the diagram as SVG (parsed: one line and one
// name per process, every delivered message, the legend) and PNG (decodes,
// at twice the SVG's size), the trace and ShiViz log identical to the
// bridge's (which tests hold equal to the command line's), and the scenario.
// The export menu is used from the page's top bar once, with the keyboard.
func TestExportDiagramAndTrace(t *testing.T) {
	p := openScenario(t, snapshotScripted+`}`)
	extras(t, p)
	runToEnd(t, p)
	captureDownloads(t, p)

	svg := exportFile(t, p, "svg", `{style: "slide"}`)
	if !strings.HasSuffix(svg.Name, ".svg") || !strings.HasPrefix(svg.Type, "image/svg+xml") {
		t.Errorf("svg download: %s (%s)", svg.Name, svg.Type)
	}
	os.WriteFile(filepath.Join(Artifacts(t), "export-snapshot.svg"), []byte(svg.Text), 0o644)
	var doc struct {
		XMLName xml.Name
		Width   string `xml:"width,attr"`
		Height  string `xml:"height,attr"`
		Rects   []struct {
			Fill string `xml:"fill,attr"`
		} `xml:"rect"`
		Groups []struct {
			Class string `xml:"class,attr"`
			Lines []struct {
				Class   string `xml:"class,attr"`
				Process string `xml:"data-process,attr"`
				Type    string `xml:"data-type,attr"`
			} `xml:"line"`
			Texts []struct {
				Class   string `xml:"class,attr"`
				Process string `xml:"data-process,attr"`
				Size    string `xml:"font-size,attr"`
				Text    string `xml:",chardata"`
			} `xml:"text"`
		} `xml:"g"`
	}
	if err := xml.Unmarshal([]byte(svg.Text), &doc); err != nil {
		t.Fatalf("the SVG does not parse: %v\n%s", err, svg.Text[:min(400, len(svg.Text))])
	}
	if doc.XMLName.Local != "svg" || doc.XMLName.Space != "http://www.w3.org/2000/svg" {
		t.Errorf("root element %v, want svg in the SVG namespace", doc.XMLName)
	}
	if len(doc.Rects) == 0 || doc.Rects[0].Fill != "#ffffff" {
		t.Errorf("slide style: the background is not white: %+v", doc.Rects)
	}
	lines, names, messages := map[string]bool{}, map[string]string{}, 0
	for _, g := range doc.Groups {
		for _, l := range g.Lines {
			if l.Class == "process" {
				lines[l.Process] = true
			}
			if l.Class == "message" {
				messages++
			}
		}
		for _, x := range g.Texts {
			if x.Class == "process-name" {
				names[x.Process] = x.Text
				if sz, _ := strconv.Atoi(x.Size); sz < 16 {
					t.Errorf("process name font size %s: too small for a slide", x.Size)
				}
			}
		}
	}
	for _, id := range []string{"0", "1", "2"} {
		if !lines[id] {
			t.Errorf("the SVG has no line for process %s", id)
		}
		if names[id] != "P"+id {
			t.Errorf("process %s is named %q in the SVG", id, names[id])
		}
	}
	// 4 transfers + 6 markers, all delivered.
	if messages != 10 {
		t.Errorf("the SVG draws %d messages, want 10", messages)
	}
	if !strings.Contains(svg.Text, "MARKER (6)") || !strings.Contains(svg.Text, "TRANSFER (4)") {
		t.Errorf("the SVG's legend lacks the message counts")
	}
	if !strings.Contains(svg.Text, `class="cut"`) || !strings.Contains(svg.Text, "consistent cut") {
		t.Errorf("the SVG does not draw the snapshot's cut (the selected one)")
	}

	pngFile := exportFile(t, p, "png", `{style: "slide"}`)
	raw, err := base64.StdEncoding.DecodeString(pngFile.Text)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the PNG does not decode: %v", err)
	}
	if w := img.Bounds().Dx(); w != 3200 {
		t.Errorf("PNG width %d, want 3200 (1600 CSS px at scale 2)", w)
	}
	os.WriteFile(filepath.Join(Artifacts(t), "export-snapshot.png"), raw, 0o644)
	// The theme style takes the page's colours: in the dark theme, a dark background.
	Eval[bool](p, `(document.documentElement.dataset.theme = "dark", true)`)
	themed := exportFile(t, p, "svg", `{style: "theme"}`)
	panel := Eval[string](p, `getComputedStyle(document.documentElement).getPropertyValue("--panel").trim()`)
	if !strings.Contains(themed.Text, `fill="`+panel+`"`) || strings.Contains(themed.Text[:strings.Index(themed.Text, "<text")], `fill="#ffffff"`) {
		t.Errorf("dark-theme export: background is not the theme's panel colour %s", panel)
	}
	os.WriteFile(filepath.Join(Artifacts(t), "export-snapshot-dark.svg"), []byte(themed.Text), 0o644)
	Eval[bool](p, `(document.documentElement.dataset.theme = "light", true)`)

	trace := exportFile(t, p, "trace", `{}`)
	if want := Eval[string](p, `window.distlabUI.app.runner.sim.exportTrace()`); trace.Text != want {
		t.Errorf("trace download differs from sim.exportTrace()")
	}
	first := strings.SplitN(trace.Text, "\n", 2)[0]
	var ev map[string]any
	if err := json.Unmarshal([]byte(first), &ev); err != nil || ev["kind"] == nil {
		t.Errorf("the trace's first line is not a trace event: %q (%v)", first, err)
	}
	if !strings.HasSuffix(trace.Name, "-trace.jsonl") {
		t.Errorf("trace file name %q", trace.Name)
	}
	shiviz := exportFile(t, p, "shiviz", `{}`)
	if want := Eval[string](p, `window.distlabUI.app.runner.sim.exportShiViz()`); shiviz.Text != want {
		t.Errorf("ShiViz download differs from sim.exportShiViz()")
	}
	sc := exportFile(t, p, "scenario", `{}`)
	var scen map[string]any
	if err := json.Unmarshal([]byte(sc.Text), &scen); err != nil || scen["protocol"] != "snapshot" {
		t.Errorf("scenario download: %v %q", err, sc.Text)
	}

	// The menu itself, from the top bar, with the keyboard.
	click(t, p, "export-button")
	p.WaitFor(`document.querySelector('[data-testid="export-menu"]')`, 0)
	p.Screenshot("export-menu")
	clickSel(t, p, `[data-testid="export-trace"]`)
	p.WaitFor(`window.__downloads.some(d => d.name.endsWith(".jsonl") && window.__downloads.length >= 6)`, 0)
}

// TestLoadScenario: "Load scenario" shows, for bad input, exactly the
// message the command line prints (minus its "distlab: " prefix), and runs a
// good scenario.
func TestLoadScenario(t *testing.T) {
	p := openUI(t, false)
	extras(t, p)
	bin := filepath.Join(Root(t), "bin", "distlab")
	dir := t.TempDir()
	for name, sc := range map[string]string{
		"typo-key":      `{"protocol": "pbft", "nodes": 4, "netwrok": {}}`,
		"typo-protocol": `{"protocol": "snapshto"}`,
		"bad-node":      `{"protocol": "pbft", "nodes": 4, "faults": [{"at": "1ms", "crash": 9}]}`,
		"malformed":     `{"protocol": "pbft", "faults": [`,
	} {
		f := filepath.Join(dir, name+".json")
		os.WriteFile(f, []byte(sc), 0o644)
		out, err := exec.Command(bin, "run", f).CombinedOutput()
		if err == nil {
			t.Fatalf("%s: the command line accepted %s", name, sc)
		}
		cli := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "distlab: "))
		Eval[bool](p, `import("./web/export.js").then(m => (m.openLoadDialog(window.distlabUI.app, document.getElementById("load-dialog")), true))`)
		Eval[bool](p, `(() => { const ta = document.querySelector('[data-testid="load-text"]'); ta.value = `+jsq(sc)+`; return true; })()`)
		click(t, p, "load-run")
		p.WaitFor(`!document.querySelector('[data-testid="load-error"]').hidden`, 0)
		if got := text(t, p, "load-error"); got != cli {
			t.Errorf("%s:\n page: %s\n CLI:  %s", name, got, cli)
		}
		if name == "typo-key" {
			p.Screenshot("load-scenario-error")
		}
		Eval[bool](p, `(document.getElementById("load-dialog").close(), true)`)
	}
	// A good one runs.
	Eval[bool](p, `import("./web/export.js").then(m => (m.openLoadDialog(window.distlabUI.app, document.getElementById("load-dialog"), `+jsq(`{"protocol": "om", "nodes": 7}`)+`), true))`)
	click(t, p, "load-run")
	p.WaitFor(`window.distlabUI.app.runner.info.name === "om" && window.distlabUI.app.runner.nproc === 7`, 0)
	if Eval[bool](p, `document.getElementById("load-dialog").open`) {
		t.Errorf("the dialog stayed open after a good scenario")
	}
}
