package pbft_test

import (
	"fmt"
	"os"
	"regexp"
	"testing"
)

func TestStress(t *testing.T) {
	if os.Getenv("PBFT_STRESS") == "" {
		t.Skip("set PBFT_STRESS=from,count,loss")
	}
	var from, cnt uint64
	var loss string
	fmt.Sscanf(os.Getenv("PBFT_STRESS"), "%d,%d,%s", &from, &cnt, &loss)
	fails := 0
	for seed := from; seed < from+cnt; seed++ {
		sc := sweepScenario(seed)
		sc = regexp.MustCompile(`"loss": [0-9.]+`).ReplaceAllString(sc, `"loss": `+loss)
		s := lab.Run(t, sc)
		for _, r := range s.Invariants() {
			if !r.OK {
				fails++
				if fails < 4 {
					t.Errorf("seed %d: %s violated: %s\n%s", seed, r.Name, r.Detail, sc)
				}
			}
		}
	}
	t.Logf("fails %d", fails)
}
