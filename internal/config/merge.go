package config

// Patch deep-merges src into dst the way Patroni's patch_config does: a nil
// value deletes the key, maps are merged recursively, anything else replaces.
// It reports whether dst changed.
func Patch(dst, src map[string]any) bool {
	changed := false
	for k, v := range src {
		if v == nil {
			if old, ok := dst[k]; ok {
				delete(dst, k)
				changed = changed || old != nil
			}
			continue
		}
		old, exists := dst[k]
		if !exists {
			dst[k] = v
			changed = true
			continue
		}
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := old.(map[string]any); ok {
				changed = Patch(dm, sm) || changed
			} else {
				dst[k] = v
				changed = true
			}
			continue
		}
		if PyStr(old) != PyStr(v) {
			dst[k] = v
			changed = true
		}
	}
	return changed
}

// DeepCopy copies maps and lists recursively; scalars are shared.
func DeepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return DeepCopyMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = DeepCopy(e)
		}
		return out
	}
	return v
}

// DeepCopyMap is DeepCopy for a map (nil stays nil).
func DeepCopyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = DeepCopy(v)
	}
	return out
}

// DeepEqual is Patroni's deep_compare: same keys, nested maps compared
// recursively, every other value compared by its Python string form.
func DeepEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok {
			return false
		}
		if am, ok := av.(map[string]any); ok {
			bm, ok := bv.(map[string]any)
			if !ok || !DeepEqual(am, bm) {
				return false
			}
		} else if PyStr(av) != PyStr(bv) {
			return false
		}
	}
	return true
}

// section returns m[key] as a map, or nil.
func section(m map[string]any, key string) map[string]any {
	s, _ := m[key].(map[string]any)
	return s
}

// ensureSection returns m[key] as a map, creating (or replacing a non-map) if needed.
func ensureSection(m map[string]any, key string) map[string]any {
	if s, ok := m[key].(map[string]any); ok {
		return s
	}
	s := map[string]any{}
	m[key] = s
	return s
}
