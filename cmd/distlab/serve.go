package main

import (
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"path/filepath"
)

// cmdServe serves the built page (dist/) on localhost, so that the sandbox
// needs nothing but the project's own Go.
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
	mime.AddExtensionType(".wasm", "application/wasm")
	mime.AddExtensionType(".js", "text/javascript")
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "distlab serve:", err)
		return exitBadInput
	}
	fmt.Fprintf(stdout, "distlab: serving %s at http://%s/ (offline page: http://%s/distlab-offline.html); Ctrl-C stops\n", *dir, ln.Addr(), ln.Addr())
	h := http.FileServer(http.Dir(*dir))
	err = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	}))
	fmt.Fprintln(stderr, "distlab serve:", err)
	return exitBadInput
}
