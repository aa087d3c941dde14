package consul_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs/consul"
	"github.com/patroni-go/patroni/internal/testenv"
)

func TestServiceName(t *testing.T) {
	for scope, want := range map[string]string{
		"batman": "batman", "Bat_man.x y": "bat-man-x-y", "a@b": "au0064b", "ok-1": "ok-1",
	} {
		if got := consul.ServiceName(scope); got != want {
			t.Errorf("ServiceName(%q) = %q, want %q", scope, got, want)
		}
	}
	long := consul.ServiceName(string(make([]byte, 300)))
	if len(long) != 230 {
		t.Errorf("service name of a 300-character scope has %d characters, want 230", len(long))
	}
}

// TestServiceRegistration: with register_service the member's role and state drive the
// agent's service: registered while running (tags, address, port, HTTP check on the
// role endpoint), re-registered on a role change, deregistered when stopped.
func TestServiceRegistration(t *testing.T) {
	t.Parallel()
	c := testenv.StartConsulInMemory(t)
	cfg := consul.Config{Host: c.Addr(), RegisterService: true, ServiceTags: []string{"zz", "aa"}, ServiceCheckInterval: "1s"}
	hits := make(chan string, 100)
	restAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case hits <- r.URL.Path:
		default:
		}
	}))
	t.Cleanup(restAPI.Close)
	a := open(t, cfg, "Bat_man", "node1", fast)
	ctx := t.Context()
	agent := a.Client().Agent()
	service := func() *api.AgentService {
		t.Helper()
		svcs, err := agent.Services()
		if err != nil {
			t.Fatal(err)
		}
		return svcs["Bat_man/node1"]
	}

	d := replica(5433)
	d.APIURL = restAPI.URL + "/patroni"
	d.State = "starting"
	mustOK(t, "TouchMember starting")(a.TouchMember(ctx, d))
	if svc := service(); svc != nil {
		t.Fatalf("service registered while starting: %+v", svc)
	}
	d.State = "running"
	mustOK(t, "TouchMember running replica")(a.TouchMember(ctx, d))
	svc := service()
	if svc == nil || svc.Service != "bat-man" || svc.Address != "127.0.0.1" || svc.Port != 5433 ||
		!slices.Equal(svc.Tags, []string{"aa", "zz", "replica"}) || !svc.EnableTagOverride {
		t.Fatalf("registered service = %+v", svc)
	}
	// The agent's HTTP check calls the role endpoint of the REST API and passes on 200.
	select {
	case path := <-hits:
		if path != "/replica" {
			t.Fatalf("service check asked for %s, want /replica", path)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the agent never ran the service check")
	}

	d.Role = cluster.RolePrimary
	mustOK(t, "TouchMember primary")(a.TouchMember(ctx, d))
	if svc := service(); svc == nil || !slices.Equal(svc.Tags, []string{"aa", "zz", "primary", "master"}) {
		t.Fatalf("service after promotion = %+v", svc)
	}
	d.State = "stopped"
	mustOK(t, "TouchMember stopped")(a.TouchMember(ctx, d))
	if svc := service(); svc != nil {
		t.Fatalf("service still registered after stop: %+v", svc)
	}
}
