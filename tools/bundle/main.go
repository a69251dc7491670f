// Command bundle writes the two HTML pages of dist/ from the repository's
// index.html: the served page (dist/index.html, the markup as written plus a
// Content-Security-Policy that allows only its own origin) and the offline
// page (dist/distlab-offline.html, one file that works opened from disk).
//
// Browsers refuse ES modules, fetch and external stylesheets on a page opened
// from file://, so the offline page carries everything inline: each
// stylesheet bundled by esbuild into a <style> element (url() assets as data:
// URLs), wasm_exec.js as a classic <script>, the esbuild bundle of the UI
// entry (web/main.js, IIFE) as the last <script> of the body, and the wasm
// gzip-compressed and base64-encoded in
//
//	<script id="distlab-wasm" type="application/octet-stream" data-encoding="gzip-base64">
//
// which web/boot.js decodes. Its CSP allows the inline scripts and styles by
// their sha256 hashes, computed here, plus 'wasm-unsafe-eval', and no
// network origin at all.
//
// It is run by ./build.sh after the copies and the wasm build:
//
//	go run ./tools/bundle -root . -dist dist
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"mime"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

func main() {
	root := flag.String("root", ".", "repository root (holds index.html and web/)")
	dist := flag.String("dist", "dist", "output directory (already holds main.wasm and wasm_exec.js)")
	flag.Parse()
	if err := run(*root, *dist); err != nil {
		fmt.Fprintln(os.Stderr, "bundle:", err)
		os.Exit(1)
	}
}

func run(root, dist string) error {
	page, err := os.ReadFile(filepath.Join(root, "index.html"))
	if err != nil {
		return fmt.Errorf("%w (index.html at the repository root is the page; the UI owns it)", err)
	}
	page = normalizeNewlines(page)

	served, err := injectCSP(string(page), servedCSP)
	if err != nil {
		return fmt.Errorf("index.html: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte(served), 0o644); err != nil {
		return err
	}

	wasm, err := os.ReadFile(filepath.Join(dist, "main.wasm"))
	if err != nil {
		return fmt.Errorf("%w (build the wasm first: GOOS=js GOARCH=wasm go build -o %s/main.wasm ./wasm)", err, dist)
	}
	wasmExec, err := os.ReadFile(filepath.Join(dist, "wasm_exec.js"))
	if err != nil {
		return fmt.Errorf("%w (copy it from $(go env GOROOT)/lib/wasm first)", err)
	}
	b := &bundler{root: root, wasm: wasm, wasmExec: wasmExec}
	offline, err := b.offline(string(page))
	if err != nil {
		return fmt.Errorf("offline page: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dist, "distlab-offline.html"), []byte(offline), 0o644); err != nil {
		return err
	}
	fmt.Printf("bundle: main.wasm %s (gzip %s); distlab-offline.html %s; UI bundle %s (%s)\n",
		kb(len(wasm)), kb(b.wasmGzip), kb(len(offline)), kb(b.jsBytes), b.jsFormat)
	return nil
}

func kb(n int) string { return fmt.Sprintf("%.1f KiB", float64(n)/1024) }

// servedCSP is the policy of dist/index.html: everything from the page's own
// origin, WebAssembly compilation, and data:/blob: images (exports, icons).
// frame-ancestors is left out: a <meta> policy cannot carry it (Chromium
// logs an error), and the page is meant to be embeddable in a course's iframe.
const servedCSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'none'"

// offlineCSP is the policy of the offline page: inline scripts and styles
// only by hash, no origin at all (default-src 'none').
func offlineCSP(scriptHashes, styleHashes []string) string {
	src := func(hashes []string, extra ...string) string {
		s := append(quoteHashes(hashes), extra...)
		if len(s) == 0 {
			return "'none'"
		}
		return strings.Join(s, " ")
	}
	return "default-src 'none'; script-src " + src(scriptHashes, "'wasm-unsafe-eval'") +
		"; style-src " + src(styleHashes) +
		"; img-src data: blob:; font-src data:; connect-src 'none'; " +
		"object-src 'none'; base-uri 'none'; form-action 'none'"
}

func quoteHashes(hashes []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, h := range hashes {
		if !seen[h] {
			seen[h] = true
			out = append(out, "'"+h+"'")
		}
	}
	return out
}

// cspHash is the CSP source expression of an inline element's content. The
// HTML parser hands the policy the element's text as parsed, so newlines must
// already be LF (normalizeNewlines) and the text must need no decoding
// (script and style are raw text elements: no entities).
func cspHash(content string) string {
	sum := sha256.Sum256([]byte(content))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

func normalizeNewlines(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
}

var (
	reComment = regexp.MustCompile(`(?s)<!--.*?-->`)
	// reTag matches the start tags the bundler acts on; a script's content
	// is matched separately (it may contain anything but its end tag).
	reTag     = regexp.MustCompile(`(?is)<(link|script|img|meta|style|source|iframe|embed|object|video|audio|base)\b((?:[^>"']|"[^"]*"|'[^']*')*)>`)
	reAttr    = regexp.MustCompile(`(?s)([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>` + "`" + `]+)))?`)
	reEndTag  = map[string]*regexp.Regexp{"script": regexp.MustCompile(`(?i)</script\s*>`), "style": regexp.MustCompile(`(?i)</style\s*>`)}
	reHeadTag = regexp.MustCompile(`(?i)<head\b[^>]*>`)
	reCharset = regexp.MustCompile(`(?i)<meta\s[^>]*charset[^>]*>`)
	reHeadEnd = regexp.MustCompile(`(?i)</head\s*>`)
	reBodyEnd = regexp.MustCompile(`(?i)</body\s*>`)

	reScriptEnd = regexp.MustCompile(`(?i)</script`)
	reStyleEnd  = regexp.MustCompile(`(?i)</style`)
)

// attrs parses a start tag's attributes; names are lower-cased, entities in
// values are left as they are (the pages' markup has none in URLs).
func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range reAttr.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = a[2] + a[3] + a[4]
	}
	return m
}

func isCSPMeta(a map[string]string) bool {
	return strings.EqualFold(a["http-equiv"], "content-security-policy")
}

// injectCSP removes any Content-Security-Policy <meta> of the page (policies
// intersect, so an old one would fight the new) and inserts the given one.
func injectCSP(page, policy string) (string, error) {
	page = reTag.ReplaceAllStringFunc(page, func(tag string) string {
		m := reTag.FindStringSubmatch(tag)
		if strings.EqualFold(m[1], "meta") && isCSPMeta(attrs(m[2])) {
			return ""
		}
		return tag
	})
	return insertCSP(page, policy)
}

// insertCSP puts the policy first in <head>, after <meta charset> (which
// must stay within the first 1024 bytes); it adds <meta charset="utf-8"> if
// the page has none, so that a page opened from disk is read as UTF-8.
func insertCSP(page, policy string) (string, error) {
	head := reHeadTag.FindStringIndex(page)
	if head == nil {
		return "", errors.New("no <head> to put the Content-Security-Policy in")
	}
	meta := `<meta http-equiv="Content-Security-Policy" content="` + policy + `">`
	headEnd := len(page)
	if loc := reHeadEnd.FindStringIndex(page); loc != nil {
		headEnd = loc[0]
	}
	at := head[1]
	if loc := reCharset.FindStringIndex(page[:headEnd]); loc != nil {
		at = loc[1]
	} else {
		meta = `<meta charset="utf-8">` + "\n" + meta
	}
	return page[:at] + "\n" + meta + page[at:], nil
}

type bundler struct {
	root     string
	wasm     []byte
	wasmExec []byte

	scriptHashes, styleHashes []string
	tail                      []string // inline scripts that go last in <body>, in order
	warnings                  []string

	wasmGzip, jsBytes int    // sizes, for the build's summary line
	jsFormat          string // "iife", or "esm" when the entry has top-level await
}

// local resolves a page-relative URL to a file under the repository root, or
// says why it cannot be inlined.
func (b *bundler) local(ref string) (string, error) {
	u := strings.TrimSpace(ref)
	switch {
	case u == "":
		return "", errors.New("empty URL")
	case strings.Contains(u, "://") || strings.HasPrefix(u, "//"):
		return "", fmt.Errorf("%q is not part of the page: everything must ship with it (no CDN)", u)
	case strings.HasPrefix(u, "/"):
		return "", fmt.Errorf("%q is absolute: use a page-relative URL", u)
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	clean := path.Clean(u)
	if strings.HasPrefix(clean, "../") || clean == ".." {
		return "", fmt.Errorf("%q is outside the page's directory", ref)
	}
	p := filepath.Join(b.root, filepath.FromSlash(clean))
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%q: %w", ref, err)
	}
	return p, nil
}

// offline rewrites the page's markup into the single-file offline page.
func (b *bundler) offline(page string) (string, error) {
	if _, err := os.Stat(filepath.Join(b.root, "web", "main.js")); err != nil {
		return "", fmt.Errorf("web/main.js is missing: it is the page's entry module (the UI owns it), and the offline page is its bundle")
	}
	page = reComment.ReplaceAllString(page, "")
	var out strings.Builder
	var errs []error
	for {
		loc := reTag.FindStringSubmatchIndex(page)
		if loc == nil {
			out.WriteString(page)
			break
		}
		out.WriteString(page[:loc[0]])
		tag, name, rawAttrs := page[loc[0]:loc[1]], strings.ToLower(page[loc[2]:loc[3]]), page[loc[4]:loc[5]]
		page = page[loc[1]:]
		a := attrs(rawAttrs)
		var content string
		if re := reEndTag[name]; re != nil {
			end := re.FindStringIndex(page)
			if end == nil {
				errs = append(errs, fmt.Errorf("<%s> without its end tag", name))
				break
			}
			content, page = page[:end[0]], page[end[1]:]
		}
		repl, err := b.element(name, tag, a, content)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out.WriteString(repl)
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	result := out.String()

	// The wasm element, then the deferred scripts: a module script runs
	// after the document is parsed, so its classic replacement goes last in
	// <body>, after the element that boot.js looks up.
	var tail strings.Builder
	tail.WriteString(b.wasmElement())
	for _, s := range b.tail {
		tail.WriteString(s)
	}
	if loc := reBodyEnd.FindStringIndex(result); loc != nil {
		result = result[:loc[0]] + tail.String() + "\n" + result[loc[0]:]
	} else {
		result += tail.String() + "\n"
	}
	// element() dropped the page's own CSP <meta>.
	result, err := insertCSP(result, offlineCSP(b.scriptHashes, b.styleHashes))
	if err != nil {
		return "", err
	}
	for _, w := range b.warnings {
		fmt.Fprintln(os.Stderr, "bundle: warning:", w)
	}
	return result, nil
}

// element returns the offline replacement of one start tag (and its content,
// for script and style).
func (b *bundler) element(name, tag string, a map[string]string, content string) (string, error) {
	switch name {
	case "meta":
		if isCSPMeta(a) {
			return "", nil // injectCSP adds the offline policy
		}
		return tag, nil
	case "base":
		return "", errors.New("<base> would redirect the offline page's relative URLs; remove it")
	case "style":
		b.styleHashes = append(b.styleHashes, cspHash(content))
		return tag + content + "</style>", nil
	case "link":
		return b.link(tag, a)
	case "script":
		return b.script(tag, a, content)
	case "img":
		src, ok := a["src"]
		if !ok || isInlineURL(src) {
			return tag, nil
		}
		p, err := b.local(src)
		if err != nil {
			return "", fmt.Errorf("<img src>: %w", err)
		}
		d, err := dataURL(p)
		if err != nil {
			return "", err
		}
		return strings.Replace(tag, src, d, 1), nil
	}
	// source, iframe, embed, object, video, audio: inline-free markup has
	// no business loading files; fail rather than ship a broken page.
	for _, k := range []string{"src", "href", "data", "srcset", "poster"} {
		if v, ok := a[k]; ok && !isInlineURL(v) {
			return "", fmt.Errorf("<%s %s=%q> loads a file the offline page cannot carry", name, k, v)
		}
	}
	return tag, nil
}

func isInlineURL(u string) bool {
	u = strings.TrimSpace(strings.ToLower(u))
	return u == "" || strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "blob:") || strings.HasPrefix(u, "#")
}

func (b *bundler) link(tag string, a map[string]string) (string, error) {
	rels := strings.Fields(strings.ToLower(a["rel"]))
	has := func(r string) bool {
		for _, x := range rels {
			if x == r {
				return true
			}
		}
		return false
	}
	href := a["href"]
	switch {
	case has("stylesheet"):
		p, err := b.local(href)
		if err != nil {
			return "", fmt.Errorf("<link rel=stylesheet>: %w", err)
		}
		css, err := b.bundleCSS(p)
		if err != nil {
			return "", err
		}
		b.styleHashes = append(b.styleHashes, cspHash(css))
		media := ""
		if m, ok := a["media"]; ok {
			media = ` media="` + m + `"`
		}
		return "<style" + media + ">" + css + "</style>", nil
	case has("modulepreload"), has("preload"), has("prefetch"), has("manifest"):
		return "", nil // bundled, or meaningless from disk
	case has("icon"):
		if isInlineURL(href) {
			return tag, nil
		}
		p, err := b.local(href)
		if err != nil {
			return "", fmt.Errorf("<link rel=icon>: %w", err)
		}
		d, err := dataURL(p)
		if err != nil {
			return "", err
		}
		return strings.Replace(tag, href, d, 1), nil
	}
	if isInlineURL(href) {
		return tag, nil
	}
	return "", fmt.Errorf("<link rel=%q href=%q>: the offline page cannot load it", a["rel"], href)
}

func (b *bundler) script(tag string, a map[string]string, content string) (string, error) {
	typ := strings.ToLower(strings.TrimSpace(a["type"]))
	src, hasSrc := a["src"]
	switch {
	case typ == "module" && hasSrc:
		p, err := b.local(src)
		if err != nil {
			return "", fmt.Errorf("<script type=module>: %w", err)
		}
		s, err := b.bundleJS(p)
		if err != nil {
			return "", err
		}
		b.tail = append(b.tail, s)
		return "", nil
	case typ == "module":
		// An inline module: keep it deferred, as a module (it may import
		// nothing from disk, which esbuild would have had to resolve).
		b.scriptHashes = append(b.scriptHashes, cspHash(content))
		return tag + content + "</script>", nil
	case hasSrc:
		if typ != "" && typ != "text/javascript" && typ != "application/javascript" {
			return "", fmt.Errorf("<script type=%q src=%q>: unknown script type", typ, src)
		}
		var body []byte
		if path.Clean(strings.TrimSpace(src)) == "wasm_exec.js" {
			// The copy in dist/, from the toolchain that built main.wasm.
			body = b.wasmExec
		} else {
			p, err := b.local(src)
			if err != nil {
				return "", fmt.Errorf("<script src>: %w", err)
			}
			if body, err = os.ReadFile(p); err != nil {
				return "", err
			}
		}
		if _, ok := a["defer"]; ok {
			return "", fmt.Errorf("<script defer src=%q>: an inline script cannot be deferred; make it a module", src)
		}
		if _, ok := a["async"]; ok {
			return "", fmt.Errorf("<script async src=%q>: an inline script cannot be async; make it a module", src)
		}
		return b.inlineScript(string(normalizeNewlines(body)), ""), nil
	case typ == "" || typ == "text/javascript" || typ == "application/javascript":
		b.scriptHashes = append(b.scriptHashes, cspHash(content))
		return tag + content + "</script>", nil
	}
	return tag + content + "</script>", nil // data block (JSON, ...): not executed
}

// inlineScript returns a <script> with body, hashed. "</script" and "<!--"
// cannot stay in a script element; inside JavaScript they can only occur in
// strings, regular expressions, template literals and comments, where
// "<\/script" and "<\!--" mean the same.
func (b *bundler) inlineScript(body, typ string) string {
	body = reScriptEnd.ReplaceAllStringFunc(body, func(s string) string { return `<\/` + s[2:] })
	body = strings.ReplaceAll(body, "<!--", `<\!--`)
	b.scriptHashes = append(b.scriptHashes, cspHash(body))
	if typ != "" {
		return `<script type="` + typ + `">` + body + "</script>"
	}
	return "<script>" + body + "</script>"
}

// wasmElement is the element web/boot.js reads the wasm from.
func (b *bundler) wasmElement() string {
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	w.Write(b.wasm)
	w.Close()
	b.wasmGzip = z.Len()
	return "\n" + `<script id="distlab-wasm" type="application/octet-stream" data-encoding="gzip-base64">` +
		base64.StdEncoding.EncodeToString(z.Bytes()) + "</script>\n"
}

// assetLoaders inline what stylesheets and modules reference.
var assetLoaders = map[string]api.Loader{
	".png": api.LoaderDataURL, ".jpg": api.LoaderDataURL, ".jpeg": api.LoaderDataURL, ".gif": api.LoaderDataURL,
	".webp": api.LoaderDataURL, ".avif": api.LoaderDataURL, ".svg": api.LoaderDataURL, ".ico": api.LoaderDataURL,
	".woff": api.LoaderDataURL, ".woff2": api.LoaderDataURL, ".ttf": api.LoaderDataURL, ".otf": api.LoaderDataURL,
	".txt": api.LoaderText, ".md": api.LoaderText, ".json": api.LoaderJSON,
}

func (b *bundler) build(opts api.BuildOptions) (map[string]string, error) {
	opts.Bundle = true
	opts.Write = false
	opts.Outdir = "out"
	opts.AbsWorkingDir, _ = filepath.Abs(b.root)
	opts.Loader = assetLoaders
	opts.MinifyWhitespace, opts.MinifySyntax, opts.MinifyIdentifiers = true, true, true
	opts.Charset = api.CharsetASCII // the hash is of bytes; keep them plain
	opts.LegalComments = api.LegalCommentsNone
	opts.LogLevel = api.LogLevelSilent
	opts.Platform = api.PlatformBrowser
	res := api.Build(opts)
	for _, m := range res.Warnings {
		b.warnings = append(b.warnings, formatMsg(m))
	}
	if len(res.Errors) > 0 {
		var errs []error
		for _, m := range res.Errors {
			errs = append(errs, errors.New(formatMsg(m)))
		}
		return nil, errors.Join(errs...)
	}
	out := map[string]string{}
	for _, f := range res.OutputFiles {
		out[filepath.Ext(f.Path)] = string(normalizeNewlines(f.Contents))
	}
	return out, nil
}

func formatMsg(m api.Message) string {
	if m.Location == nil {
		return m.Text
	}
	return fmt.Sprintf("%s:%d:%d: %s", m.Location.File, m.Location.Line, m.Location.Column, m.Text)
}

func (b *bundler) bundleCSS(entry string) (string, error) {
	out, err := b.build(api.BuildOptions{EntryPoints: []string{entry}})
	if err != nil {
		return "", fmt.Errorf("stylesheet %s: %w", entry, err)
	}
	css := strings.TrimSpace(out[".css"])
	if reStyleEnd.MatchString(css) {
		return "", fmt.Errorf("stylesheet %s: contains </style, which would end the inline element", entry)
	}
	return css, nil
}

// bundleJS bundles a module entry as a classic IIFE script; esbuild refuses
// that for a module with top-level await, and then the bundle stays a module
// (format esm, an inline <script type="module">, deferred like the original).
func (b *bundler) bundleJS(entry string) (string, error) {
	opts := api.BuildOptions{EntryPoints: []string{entry}, Format: api.FormatIIFE, Target: api.ES2022}
	out, err := b.build(opts)
	typ := ""
	if err != nil && strings.Contains(err.Error(), "Top-level await") {
		opts.Format = api.FormatESModule
		out, err = b.build(opts)
		typ = "module"
	}
	if err != nil {
		return "", fmt.Errorf("bundle of %s: %w", entry, err)
	}
	b.jsBytes += len(out[".js"])
	b.jsFormat = map[string]string{"": "iife", "module": "esm, top-level await: inline module"}[typ]
	var extra string
	if css, ok := out[".css"]; ok { // a module imported a stylesheet
		css = strings.TrimSpace(css)
		b.styleHashes = append(b.styleHashes, cspHash(css))
		extra = "<style>" + css + "</style>"
	}
	return extra + b.inlineScript(out[".js"], typ), nil
}

func dataURL(p string) (string, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	typ := mime.TypeByExtension(filepath.Ext(p))
	if typ == "" {
		return "", fmt.Errorf("%s: unknown media type for a data: URL", p)
	}
	if i := strings.IndexByte(typ, ';'); i >= 0 {
		typ = typ[:i]
	}
	return "data:" + typ + ";base64," + base64.StdEncoding.EncodeToString(data), nil
}
