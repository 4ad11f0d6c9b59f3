package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/google/renameio/v2"
)

// Outputs are written so that a reader, or a user who interrupts or kills
// the program, sees either the old output, or none, or the complete new
// one: files through renameio (a temporary file, fsync, rename), and
// directories of several files (the report) staged whole and moved into
// place only once every file is written.
//
// Temporaries live in a directory beside the output named after the
// writing process, ".lesim-tmp-PID". A run that is killed leaves it
// behind; the next write into the same directory removes it, once no
// process of that id is alive.

const stagePrefix = ".lesim-tmp-"

// WriteFile writes data to path atomically (see above), mode 0644.
func WriteFile(path string, data []byte) error {
	return WriteFileFunc(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFileFunc is WriteFile with the content produced by write. When write
// fails, nothing is left at path or beside it.
func WriteFileFunc(path string, write func(io.Writer) error) error {
	stage, err := stageDir(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer os.Remove(stage) // only once empty: other writes may share it
	// Outputs are ordinary files that others (CI artefact uploaders,
	// other users) may read.
	t, err := renameio.NewPendingFile(path, renameio.WithTempDir(stage), renameio.WithStaticPermissions(0o644))
	if err != nil {
		return err
	}
	defer t.Cleanup()
	if err := write(t); err != nil {
		return err
	}
	if err := t.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Staged is an output directory being written: files go to Dir, and Commit
// moves them into the target directory; Abort (or a kill) leaves the
// target as it was.
type Staged struct {
	target string
	stage  string
	// Dir is where the files are written.
	Dir string
}

// StageDir starts writing the output directory target, staged beside it.
func StageDir(target string) (*Staged, error) {
	return newStaged(target, filepath.Dir(filepath.Clean(target)))
}

// StageIn starts writing files into the existing directory dir, staged
// inside it (so that each file's rename stays within one file system).
func StageIn(dir string) (*Staged, error) {
	if fi, err := os.Stat(dir); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	return newStaged(dir, dir)
}

func newStaged(target, parent string) (*Staged, error) {
	stage, err := stageDir(parent)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(stage, filepath.Base(target)+"-")
	if err != nil {
		return nil, err
	}
	return &Staged{target: target, stage: stage, Dir: dir}, nil
}

// Commit moves every staged file into the target directory (created if
// missing), each by a rename, and removes the staging directory.
func (s *Staged) Commit() error {
	defer s.Abort()
	if _, err := os.Lstat(s.target); errors.Is(err, fs.ErrNotExist) {
		// MkdirTemp made it private; outputs are for others to read.
		if err := os.Chmod(s.Dir, 0o755); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Clean(s.target)), 0o755); err != nil {
			return err
		}
		if err := os.Rename(s.Dir, s.target); err != nil {
			return err
		}
		return syncDir(filepath.Dir(filepath.Clean(s.target)))
	}
	if err := os.MkdirAll(s.target, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(s.Dir, e.Name()), filepath.Join(s.target, e.Name())); err != nil {
			return err
		}
	}
	return syncDir(s.target)
}

// Abort removes what was staged. It is safe after Commit.
func (s *Staged) Abort() {
	os.RemoveAll(s.Dir)
	os.Remove(s.stage)
}

// stageDir returns this process's staging directory in dir, creating it,
// and removes those of processes that no longer run.
func stageDir(dir string) (string, error) {
	removeStale(dir)
	stage := filepath.Join(dir, stagePrefix+strconv.Itoa(os.Getpid()))
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return "", err
	}
	return stage, nil
}

// removeStale removes the staging directories in dir of processes that are
// gone (killed mid-write). A directory of a live process — another lesim
// writing beside this one — is left alone.
func removeStale(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, ok := strings.CutPrefix(e.Name(), stagePrefix)
		if !ok || !e.IsDir() {
			continue
		}
		n, err := strconv.Atoi(pid)
		if err != nil || n <= 0 || n == os.Getpid() || alive(n) {
			continue
		}
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// alive reports whether a process with this id exists (signal 0 checks
// without sending anything; EPERM means it exists under another user).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// render runs write into a buffer; helpers that produce []byte use it.
func render(write func(io.Writer) error) ([]byte, error) {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
