package api

import (
	"context"
	"sync"
	"time"

	"github.com/patroni-go/patroni/internal/api/client"
	"github.com/patroni-go/patroni/internal/cluster"
)

// ClientPeerChecker is the default PeerChecker: GET each member's api_url with a 2 s
// timeout, all in parallel, as Patroni's failover feasibility check does.
type ClientPeerChecker struct {
	Client  *client.Client
	Timeout time.Duration // per member; default 2 s
}

// AnyHealthy reports whether one member is reachable, not nofailover and has a
// working watchdog.
func (c ClientPeerChecker) AnyHealthy(ctx context.Context, members []cluster.Member) bool {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	results := make(chan bool, len(members))
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func(apiURL string) {
			defer wg.Done()
			st, err := c.Client.GetStatus(ctx, apiURL)
			results <- err == nil && st.Reachable() && !st.NoFailover() && !st.WatchdogFailed
		}(m.APIURL)
	}
	go func() { wg.Wait(); close(results) }()
	for ok := range results {
		if ok {
			return true
		}
	}
	return false
}
