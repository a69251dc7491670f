package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// cmdServe serves the built page (dist/) on localhost, so that the sandbox
// needs nothing but the project's own Go. Text and wasm are sent gzipped
// (the wasm is ~4.8 MB raw, ~1.3 MB gzipped).
func cmdServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dir := fs.String("dir", "dist", "directory to serve (built by ./build.sh)")
	if _, err := parseInterleaved(fs, args); err != nil {
		return exitBadInput
	}
	if _, err := os.Stat(filepath.Join(*dir, "index.html")); err != nil {
		fmt.Fprintf(stderr, "distlab serve: %s/index.html not found; run ./build.sh first\n", *dir)
		return exitBadInput
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "distlab serve:", err)
		return exitBadInput
	}
	fmt.Fprintf(stdout, "distlab: serving %s at http://%s/ (offline page: http://%s/distlab-offline.html); Ctrl-C stops\n", *dir, ln.Addr(), ln.Addr())
	err = http.Serve(ln, pageHandler(*dir))
	fmt.Fprintln(stderr, "distlab serve:", err)
	return exitBadInput
}

// compressible lists the extensions worth gzipping.
var compressible = map[string]bool{".wasm": true, ".js": true, ".css": true, ".html": true, ".json": true, ".svg": true, ".md": true, ".ts": true}

type gzEntry struct {
	mod  time.Time
	size int64
	data []byte
}

// pageHandler serves dir, gzipping compressible files for clients that
// accept it (compressed once per file version, kept in memory).
func pageHandler(dir string) http.Handler {
	mime.AddExtensionType(".wasm", "application/wasm")
	mime.AddExtensionType(".js", "text/javascript")
	files := http.FileServer(http.Dir(dir))
	var mu sync.Mutex
	cache := map[string]gzEntry{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		p := path.Clean("/" + r.URL.Path)
		if strings.HasSuffix(p, "/") {
			p += "index.html"
		}
		ext := path.Ext(p)
		if !compressible[ext] || !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") || r.Header.Get("Range") != "" {
			files.ServeHTTP(w, r)
			return
		}
		full := filepath.Join(dir, filepath.FromSlash(p))
		st, err := os.Stat(full)
		if err != nil || st.IsDir() {
			files.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		e, ok := cache[p]
		mu.Unlock()
		if !ok || !e.mod.Equal(st.ModTime()) || e.size != st.Size() {
			raw, err := os.ReadFile(full)
			if err != nil {
				files.ServeHTTP(w, r)
				return
			}
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(raw)
			zw.Close()
			e = gzEntry{mod: st.ModTime(), size: st.Size(), data: buf.Bytes()}
			mu.Lock()
			cache[p] = e
			mu.Unlock()
		}
		if ct := mime.TypeByExtension(ext); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Vary", "Accept-Encoding")
		http.ServeContent(w, r, p, e.mod, bytes.NewReader(e.data))
	})
}
