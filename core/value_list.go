package core

// SoleList reads the list under key in an object that may hold only that key:
// the usual shape of a protocol's workload, {"waits": [...]}. ok is false,
// with no error, when v or v[key] is null (nothing given); another key, a
// non-object or a non-list is an error naming its path and the valid key.
func (v Value) SoleList(key string) (list []Value, ok bool, err error) {
	if v.Null() {
		return nil, false, nil
	}
	if err := v.Object(key); err != nil {
		return nil, false, err
	}
	lv := v.Get(key)
	if lv.Null() {
		return nil, false, nil
	}
	if list, err = lv.List(); err != nil {
		return nil, false, err
	}
	return list, true, nil
}
