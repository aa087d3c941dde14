// Package client is the one HTTP client of Patroni's REST API: peers use it in the
// leader race and in failsafe mode, patronictl for every management call. It sends
// Basic auth on every request (as Patroni does), honours the ctl TLS settings, and
// returns status codes and bodies verbatim so callers can print them.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/api/tlsutil"
)

// DefaultUserAgent identifies us the way Patroni identifies itself to its peers.
const DefaultUserAgent = "Patroni/4.1.4 Go patroni-go"

// maxResponse bounds what we read from a peer; a status document is a few KiB.
const maxResponse = 16 << 20

// Options configure a Client. Map Patroni's configuration like this:
// Username/Password = ctl.authentication, else restapi.authentication;
// CACert = ctl.cacert, else restapi.cafile; CertFile/KeyFile/KeyFilePassword =
// ctl.certfile/keyfile/keyfile_password; Insecure = ctl.insecure or patronictl -k.
// A daemon talking to its peers sets Insecure: true, as Patroni does.
type Options struct {
	Username, Password string
	CACert             string
	CertFile           string
	KeyFile            string
	KeyFilePassword    string
	// Insecure follows Patroni: without a client certificate it disables server
	// certificate verification; with one it keeps verifying the chain against CACert
	// but not the host name.
	Insecure bool
	// Timeout bounds each call that has no earlier context deadline; 0 = none.
	Timeout   time.Duration
	UserAgent string
}

// Client talks to members' REST APIs. It is safe for concurrent use.
type Client struct {
	hc        *http.Client
	auth      string // "Basic ..." or ""
	timeout   time.Duration
	userAgent string
}

// Response is what a member answered: the status code, the raw body and the headers.
type Response struct {
	StatusCode int
	Body       []byte
	Header     http.Header
}

// Text is the body as a string, the message patronictl prints.
func (r *Response) Text() string { return string(r.Body) }

// New builds a client; it fails when a configured certificate or CA cannot be loaded.
func New(o Options) (*Client, error) {
	tc, err := tlsConfig(o)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:                 nil, // members are addressed directly, as Patroni does
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 10 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   5 * time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: 0, // an immediate restart legitimately blocks for minutes
		ForceAttemptHTTP2:     false,
	}
	c := &Client{hc: &http.Client{Transport: tr}, timeout: o.Timeout, userAgent: o.UserAgent}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if o.Username != "" || o.Password != "" {
		c.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(o.Username+":"+o.Password))
	}
	return c, nil
}

func tlsConfig(o Options) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CACert != "" {
		pool, err := tlsutil.LoadCAPool(o.CACert)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = pool
	}
	if o.CertFile != "" {
		cert, err := tlsutil.LoadKeyPair(o.CertFile, o.KeyFile, o.KeyFilePassword)
		if err != nil {
			return nil, err
		}
		tc.Certificates = []tls.Certificate{cert}
		if o.Insecure {
			verifyChainOnly(tc)
		}
		return tc, nil
	}
	tc.InsecureSkipVerify = o.Insecure
	return tc, nil
}

// verifyChainOnly checks the server chain against the roots but ignores the host name
// (urllib3's assert_hostname=False).
func verifyChainOnly(tc *tls.Config) {
	roots := tc.RootCAs
	tc.InsecureSkipVerify = true
	tc.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return fmt.Errorf("server presented no certificate")
		}
		opts := x509VerifyOptions(roots, cs)
		_, err := cs.PeerCertificates[0].Verify(opts)
		return err
	}
}

// EndpointURL replaces the path of a member's api_url by /endpoint, keeping scheme and
// host:port and dropping any query, as Patroni's Member.get_endpoint_url does. An empty
// endpoint returns apiURL unchanged.
func EndpointURL(apiURL, endpoint string) (string, error) {
	if apiURL == "" {
		return "", fmt.Errorf("member has no api_url")
	}
	if endpoint == "" {
		return apiURL, nil
	}
	u, err := url.Parse(apiURL)
	if err != nil {
		return "", fmt.Errorf("bad api_url %q: %w", apiURL, err)
	}
	if u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("bad api_url %q: want scheme://host:port/path", apiURL)
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/" + strings.TrimPrefix(endpoint, "/")}).String(), nil
}

// Do sends method to the member's endpoint ("" = the api_url itself). A non-nil body is
// sent as JSON ([]byte and string are sent as they are). Any HTTP answer, whatever its
// status, is a Response; err is set only when no answer arrived.
func (c *Client) Do(ctx context.Context, method, apiURL, endpoint string, body any) (*Response, error) {
	target, err := EndpointURL(apiURL, endpoint)
	if err != nil {
		return nil, err
	}
	payload, err := encodeBody(body)
	if err != nil {
		return nil, err
	}
	if c.timeout > 0 {
		if _, has := ctx.Deadline(); !has {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.timeout)
			defer cancel()
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	if payload == nil {
		req.Body, req.ContentLength = nil, 0
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", c.userAgent)
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, target, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read response: %w", method, target, err)
	}
	return &Response{StatusCode: resp.StatusCode, Body: data, Header: resp.Header}, nil
}

func encodeBody(body any) ([]byte, error) {
	switch b := body.(type) {
	case nil:
		return nil, nil
	case []byte:
		return b, nil
	case string:
		return []byte(b), nil
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode request body: %w", err)
	}
	return data, nil
}

// CloseIdleConnections releases pooled connections (e.g. before process exit).
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }
