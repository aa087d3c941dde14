package api

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// GET /patroni serves the WAL position as of the request, not of the last HA cycle: peers
// compare it in the leader race. Health checks keep using the published snapshot.
func TestStatusDocumentRefreshesFirst(t *testing.T) {
	pub := &Publisher{}
	old := replicaSnap()
	pub.Publish(old)
	fresh := replicaSnap()
	fresh.ReceivedLocation, fresh.ReplayedLocation = 987654321, 987654321
	node := &refreshingNode{fakeNode: &fakeNode{}, pub: pub, next: fresh}
	srv, err := New(Config{Listen: "127.0.0.1:0"}, Options{Publisher: pub, Node: node,
		Now: func() time.Time { return testNow }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/patroni", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "987654321") {
		t.Fatalf("GET /patroni must show the refreshed position: %d %s", rec.Code, rec.Body.String())
	}
}
