package rest

import (
	"bytes"
	"net/http"
)

// recorder is an http.ResponseWriter that keeps the response in memory: the
// in-process transport's "connection", and Chaos's hold on a response while
// it travels back.
type recorder struct {
	header      http.Header
	sent        http.Header // header as of WriteHeader, as a server sends it
	code        int
	wroteHeader bool
	body        bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: make(http.Header)} }

func (rec *recorder) Header() http.Header { return rec.header }

func (rec *recorder) WriteHeader(code int) {
	if rec.wroteHeader {
		return
	}
	rec.wroteHeader = true
	rec.code = code
	rec.sent = rec.header.Clone()
}

func (rec *recorder) Write(b []byte) (int, error) {
	rec.WriteHeader(http.StatusOK)
	return rec.body.Write(b)
}

// Flush implements http.Flusher; everything is delivered at the end anyway.
func (rec *recorder) Flush() {}

// result is the status and header as sent (200 and the current header when
// the handler wrote nothing, as net/http does).
func (rec *recorder) result() (int, http.Header) {
	if !rec.wroteHeader {
		return http.StatusOK, rec.header.Clone()
	}
	return rec.code, rec.sent
}

// copyTo sends the recorded response on w.
func (rec *recorder) copyTo(w http.ResponseWriter) {
	code, h := rec.result()
	dst := w.Header()
	for k, v := range h {
		dst[k] = v
	}
	w.WriteHeader(code)
	_, _ = w.Write(rec.body.Bytes())
}
