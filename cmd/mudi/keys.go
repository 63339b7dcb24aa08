package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/mudi-gis/mudi/api"
	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/store"
)

// minKeyLength is the shortest secret accepted as an API key.
const minKeyLength = 16

// parseKeys reads the configured API keys: each entry is name:role:secret (role editor,
// reviewer or admin), or — the earlier format — a bare secret, which becomes an admin key
// named key1, key2 … with a warning. A secret shorter than 16 characters, an unknown role, or a
// name given twice is refused, naming the key, never its secret. Only the secrets' hashes are
// kept.
func parseKeys(entries []string, log *slog.Logger) ([]api.Key, error) {
	var keys []api.Key
	names := map[string]bool{}
	bare := 0
	for i, e := range entries {
		name, role, secret := "", app.RoleAdmin, e
		if parts := strings.SplitN(e, ":", 3); len(parts) == 3 {
			r, ok := app.ParseRole(parts[1])
			if !ok {
				return nil, usageError{fmt.Sprintf("api-keys: key %q has role %q; roles are reader, editor, reviewer and admin", parts[0], parts[1])}
			}
			name, role, secret = parts[0], r, parts[2]
			if name == "" {
				return nil, usageError{fmt.Sprintf("api-keys: entry %d has an empty name (write name:role:secret)", i+1)}
			}
		} else {
			bare++
			name = "key" + strconv.Itoa(bare)
		}
		if names[name] {
			return nil, usageError{fmt.Sprintf("api-keys: the name %s is given twice", name)}
		}
		names[name] = true
		if len(secret) < minKeyLength {
			return nil, usageError{fmt.Sprintf("api-keys: key %s is too weak: a secret needs at least %d characters", name, minKeyLength)}
		}
		keys = append(keys, api.Key{Name: name, Role: role, Hash: api.HashKey(secret)})
	}
	if bare > 0 && log != nil {
		log.Warn("API keys without a name and role are admin keys named key1, key2 …; write name:role:secret to give each its own name and role", "keys", bare)
	}
	return keys, nil
}

const keySetting = "api_key_hashes"

// writeKeys returns the accepted API keys: those configured, else the stored ones, else a new
// admin key that is generated, stored hashed and printed once.
func writeKeys(db *store.DB, configured []string, log *slog.Logger, stdout io.Writer) ([]api.Key, error) {
	if len(configured) > 0 {
		return parseKeys(configured, log)
	}
	raw, err := db.Setting(keySetting)
	if err == nil {
		return storedKeys(raw)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	secret := "mudi_" + hex.EncodeToString(b[:])
	keys := []api.Key{{Name: "key1", Role: app.RoleAdmin, Hash: api.HashKey(secret)}}
	raw, _ = json.Marshal(keys)
	if err := db.PutSetting(keySetting, raw); err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "\nGenerated an admin API key (key1). It is shown only this once and stored hashed:\n\n    %s\n\nSend it as 'Authorization: Bearer <key>' on writes, or set MUDI_API_KEYS (name:role:secret,…).\n\n", secret)
	return keys, nil
}

// storedKeys decodes the stored keys: a list of {Name, Role, Hash}, or the earlier list of bare
// hashes (admin keys key1, key2 …).
func storedKeys(raw []byte) ([]api.Key, error) {
	var keys []api.Key
	if err := json.Unmarshal(raw, &keys); err == nil {
		return keys, nil
	}
	var hashes []string
	if err := json.Unmarshal(raw, &hashes); err != nil {
		return nil, fmt.Errorf("stored API keys: %w", err)
	}
	for i, h := range hashes {
		keys = append(keys, api.Key{Name: "key" + strconv.Itoa(i+1), Role: app.RoleAdmin, Hash: h})
	}
	return keys, nil
}
