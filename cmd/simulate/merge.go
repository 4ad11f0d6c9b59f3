package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/sim"
)

func newMergeCmd(e env) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge DIR | SHARD.json...",
		Short: "Join the shards of a sweep into the outputs of an unsharded run",
		Long: `Join shard-I-of-N.json files written by 'simulate sweep --shard-count N'
(every file given, or every shard file in DIR) into sweep.json, sweep.csv,
sweep.bench.txt and the heatmap — byte for byte what one unsharded run of
the sweep writes.

It checks that every shard of the same sweep is present exactly once and
that every point appears exactly once, in the shard it belongs to.`,
		Example: `  simulate merge /results
  simulate merge --out merged/ results/shard-*-of-8.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files := args
			if len(args) == 1 {
				if st, err := os.Stat(args[0]); err == nil && st.IsDir() {
					files, _ = filepath.Glob(filepath.Join(args[0], "shard-*-of-*.json"))
					if len(files) == 0 {
						return badInput("%s: no shard-I-of-N.json files; expected the --out directory of sharded sweeps", args[0])
					}
					if out == "" {
						out = args[0]
					}
				}
			}
			if out == "" {
				out = filepath.Dir(files[0])
			}
			merged, err := mergeShards(files)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return badInput("--out %s: %v", out, err)
			}
			wrote, err := writeSweepOutputs(out, merged)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "merged %d shards of sweep %s (%s): %d points\n", len(files), merged.Sweep.Scenario, merged.Sweep.ID, len(merged.Points))
			for _, p := range wrote {
				fmt.Fprintf(e.stdout, "wrote %s\n", p)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output `DIR` (default: the shards' directory)")
	return cmd
}

// mergeShards reads and checks shard files and returns the whole sweep.
func mergeShards(files []string) (*reports.SweepFile, error) {
	var first *reports.SweepFile
	var firstSpec []byte
	seen := map[int]string{}
	var points []reports.SweepPoint
	for _, path := range files {
		data, err := readShard(path)
		if err != nil {
			return nil, err
		}
		var f reports.SweepFile
		if err := json.Unmarshal(data, &f); err != nil || f.Kind != reports.SweepKind {
			return nil, badInput("%s: not a sweep shard; expected a shard-I-of-N.json written by simulate sweep", path)
		}
		if f.Shard == nil {
			return nil, badInput("%s: an unsharded sweep; expected shard files (simulate sweep --shard-count N)", path)
		}
		if err := checkShardSpec(path, &f); err != nil {
			return nil, err
		}
		spec, _ := json.Marshal(f.Sweep)
		if first == nil {
			first, firstSpec = &f, spec
		} else if !bytes.Equal(spec, firstSpec) || f.Shard.Count != first.Shard.Count {
			return nil, badInput("%s: shard of sweep %s (%d shards), but %s is of sweep %s (%d shards); expected shards of one sweep", path, f.Sweep.ID, f.Shard.Count, files[0], first.Sweep.ID, first.Shard.Count)
		}
		if prev, dup := seen[f.Shard.Index]; dup {
			return nil, badInput("%s: shard %d of %d is also in %s; expected each shard once", path, f.Shard.Index, f.Shard.Count, prev)
		}
		if f.Shard.Index < 0 || f.Shard.Index >= f.Shard.Count {
			return nil, badInput("%s: shard index %d out of range; expected 0 to %d", path, f.Shard.Index, f.Shard.Count-1)
		}
		seen[f.Shard.Index] = path
		for _, p := range f.Points {
			if p.Index%f.Shard.Count != f.Shard.Index {
				return nil, badInput("%s: point %d (%s) belongs to shard %d, not %d", path, p.Index, p.Key, p.Index%f.Shard.Count, f.Shard.Index)
			}
		}
		points = append(points, f.Points...)
	}
	for i := range first.Shard.Count {
		if _, ok := seen[i]; !ok {
			return nil, badInput("shard %d of %d of sweep %s is missing; expected %s", i, first.Shard.Count, first.Sweep.ID, fmt.Sprintf("shard-%d-of-%d.json", i, first.Shard.Count))
		}
	}
	sort.SliceStable(points, func(i, j int) bool { return points[i].Index < points[j].Index })
	for i, p := range points {
		if p.Index != i {
			if i > 0 && points[i-1].Index == p.Index {
				return nil, badInput("point %d (%s) appears twice; expected every point once", p.Index, p.Key)
			}
			return nil, badInput("point %d is missing; expected points 0 to %d", i, first.Sweep.Points-1)
		}
	}
	if len(points) != first.Sweep.Points {
		return nil, badInput("%d points in the shards, the sweep has %d; expected every point once", len(points), first.Sweep.Points)
	}
	return &reports.SweepFile{Kind: reports.SweepKind, Sweep: first.Sweep, Points: points}, nil
}

// maxShardFile bounds a shard file: a point takes a few hundred bytes.
const maxShardFile = 1 << 30

func readShard(path string) ([]byte, error) {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, badInput("%s: %v", path, err)
	case !st.Mode().IsRegular():
		return nil, badInput("%s: not a regular file; expected a shard-I-of-N.json", path)
	case st.Size() > maxShardFile:
		return nil, badInput("%s: %d bytes; expected a shard file of at most %d", path, st.Size(), maxShardFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, badInput("%s: %v", path, err)
	}
	return data, nil
}

// checkShardSpec checks what a shard says of its sweep as sweep checks its
// flags: a file edited by hand, or written by another version, must not
// make merge write outputs no sweep could have.
func checkShardSpec(path string, f *reports.SweepFile) error {
	sp := &f.Sweep
	bad := func(format string, args ...any) error {
		return badInput("%s: %s; expected a shard written by simulate sweep", path, fmt.Sprintf(format, args...))
	}
	switch {
	case f.Shard.Count < 1 || f.Shard.Count > maxShards:
		return bad("shard count %d outside 1 to %d", f.Shard.Count, maxShards)
	case sp.Seeds < 1 || sp.Seeds > maxSeeds:
		return bad("seeds %d outside 1 to %d", sp.Seeds, maxSeeds)
	case sp.Points < 0 || sp.Skipped < 0 || float64(sp.Points)*float64(sp.Seeds) > maxSweepRuns:
		return bad("%d points of %d seeds, more than %d runs", sp.Points, sp.Seeds, maxSweepRuns)
	case len(f.Points) > sp.Points:
		return bad("%d points in a sweep of %d", len(f.Points), sp.Points)
	case specID(*sp) != sp.ID:
		return bad("sweep id %s does not match its parameters", sp.ID)
	}
	for _, d := range slices.Concat(sp.Lease, sp.Renew, sp.Retry) {
		if d <= 0 {
			return bad("timing %s is not positive", time.Duration(d))
		}
	}
	for _, d := range slices.Concat(sp.Latency, sp.Pause) {
		if d < 0 {
			return bad("latency or pause %s is negative", time.Duration(d))
		}
	}
	for _, r := range sp.Skew {
		if sim.CheckRate(r) != nil {
			return bad("clock ratio %g outside %g to %g", r, sim.MinRate, sim.MaxRate)
		}
	}
	for _, p := range sp.ErrorRate {
		if !(p >= 0 && p <= 1) {
			return bad("error rate %g outside 0 to 1", p)
		}
	}
	return nil
}
