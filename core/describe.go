package core

import "encoding/json"

// ProtocolInfo is a protocol's registry entry as plain data (for `distlab
// list --json`, the bridge and the page).
type ProtocolInfo struct {
	Name         string          `json:"name"`
	Title        string          `json:"title"`
	Section      string          `json:"section"`
	Group        string          `json:"group"`
	Summary      string          `json:"summary"`
	Params       []ParamSpec     `json:"params"`
	Workload     string          `json:"workload,omitempty"`
	MessageTypes []Kindspec      `json:"message_types"`
	Phases       []Kindspec      `json:"phases"`
	Strategies   []Kindspec      `json:"strategies"`
	Invariants   []Kindspec      `json:"invariants"`
	Metrics      []Kindspec      `json:"metrics"`
	Complexity   string          `json:"complexity"`
	MinNodes     int             `json:"min_nodes"`
	MaxNodes     int             `json:"max_nodes"`
	Connected    bool            `json:"connected"`
	Default      json.RawMessage `json:"default"`
}

func nonNil(k []Kindspec) []Kindspec {
	if k == nil {
		return []Kindspec{}
	}
	return k
}

// Info describes the protocol.
func (p *Protocol) Info() ProtocolInfo {
	maxN := p.MaxNodes
	if maxN == 0 {
		maxN = MaxNodes
	}
	params := p.Params
	if params == nil {
		params = []ParamSpec{}
	}
	def := json.RawMessage("{}")
	if p.Default != "" {
		var v any
		if json.Unmarshal([]byte(p.Default), &v) == nil {
			def, _ = json.Marshal(v)
		}
	}
	return ProtocolInfo{
		Name: p.Name, Title: p.Title, Section: p.Section, Group: p.Group, Summary: p.Summary,
		Params: params, Workload: p.Workload,
		MessageTypes: nonNil(p.MessageTypes), Phases: nonNil(p.Phases), Strategies: nonNil(p.Strategies),
		Invariants: nonNil(p.Invariants), Metrics: nonNil(p.Metrics), Complexity: p.Complexity,
		MinNodes: max(1, p.MinNodes), MaxNodes: maxN, Connected: p.Connected, Default: def,
	}
}

// Describe lists every protocol's info.
func Describe(c Catalog) []ProtocolInfo {
	out := make([]ProtocolInfo, len(c))
	for i, p := range c {
		out[i] = p.Info()
	}
	return out
}
