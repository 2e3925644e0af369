package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"time"
)

// etcd is a single-member etcd on 127.0.0.1 with its data in a test
// directory.
type etcd struct {
	proc      *process
	clientURL string
}

// startEtcd starts etcd from bin with data and log under dir and waits until
// it reports healthy.
func startEtcd(bin, dir string, timeout time.Duration) (*etcd, error) {
	e := &etcd{proc: &process{name: "etcd", path: bin, logPath: filepath.Join(dir, "etcd.log")}}
	data := filepath.Join(dir, "etcd-data")
	configure := func(ports []int) {
		client := "http://127.0.0.1:" + strconv.Itoa(ports[0])
		peer := "http://127.0.0.1:" + strconv.Itoa(ports[1])
		e.clientURL = client
		e.proc.args = []string{
			"--name", "testenv",
			"--data-dir", data,
			"--listen-client-urls", client,
			"--advertise-client-urls", client,
			"--listen-peer-urls", peer,
			"--initial-advertise-peer-urls", peer,
			"--initial-cluster", "testenv=" + peer,
			"--initial-cluster-state", "new",
			// Test data need not survive a power cut; skipping fsync keeps a
			// shared disk quiet and the API server fast.
			"--unsafe-no-fsync",
			"--log-level", "warn",
		}
	}
	if err := startWithRetry(e.proc, 2, timeout, configure, e.healthy); err != nil {
		return e, fmt.Errorf("start etcd: %w", err)
	}
	return e, nil
}

// healthy asks etcd's /health endpoint.
func (e *etcd) healthy(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.clientURL+"/health", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return err
	}
	var h struct {
		Health string `json:"health"`
	}
	if err := json.Unmarshal(body, &h); err != nil || h.Health != "true" {
		return fmt.Errorf("etcd /health: %s %q", resp.Status, body)
	}
	return nil
}
