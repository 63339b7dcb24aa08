package app

import "fmt"

// Kind classifies the failure of a use case that is the caller's fault.
type Kind int

// Kinds of [Error].
const (
	Invalid       Kind = iota + 1 // a parameter or the input is wrong
	NotFound                      // the layer, feature or analysis does not exist
	Conflict                      // the request conflicts with the current state
	Forbidden                     // the caller may not do this
	Unprocessable                 // understood, but a rule refuses it
	Unsupported                   // a kind of file or body that is not accepted
)

// Error is a failure of a use case that the caller caused. Param names the parameter, field or
// attribute at fault (an API query parameter, a form field or an attribute name; the command
// line maps it to its flag), Reason says what is wrong with it, Type is a short slug for the
// problem type ("layer-exists", "layer-in-use", …; empty for the kind's default).
type Error struct {
	Kind   Kind
	Param  string
	Reason string
	Type   string
}

func (e *Error) Error() string {
	if e.Param != "" {
		return e.Param + ": " + e.Reason
	}
	return e.Reason
}

func invalid(param, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Param: param, Reason: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *Error {
	return &Error{Kind: NotFound, Reason: fmt.Sprintf(format, args...)}
}

func conflict(typ, param, format string, args ...any) *Error {
	return &Error{Kind: Conflict, Type: typ, Param: param, Reason: fmt.Sprintf(format, args...)}
}
