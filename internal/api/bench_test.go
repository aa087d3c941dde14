package api

import (
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkHealthCheck measures GET /primary and GET /replica over a real loopback
// listener with 16 concurrent keep-alive clients and reports req/s and p99 latency.
func BenchmarkHealthCheck(b *testing.B) {
	for _, path := range []string{"/primary", "/replica"} {
		b.Run(path[1:], func(b *testing.B) {
			snap := replicaSnap()
			snap.NextRun = time.Now().Add(time.Hour)
			_, addr := startServerNow(b, snap)
			benchGet(b, "http://"+addr+path, 16)
		})
	}
}

func startServerNow(b *testing.B, snap *Snapshot) (*Server, string) {
	pub := &Publisher{}
	pub.Publish(snap)
	srv, err := New(Config{Listen: "127.0.0.1:0"}, Options{Publisher: pub})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Shutdown(b.Context()) })
	return srv, ln.Addr().String()
}

func benchGet(b *testing.B, url string, clients int) {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	hc := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				resp, err := hc.Get(url)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[c] = append(lat[c], time.Since(t0))
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}
