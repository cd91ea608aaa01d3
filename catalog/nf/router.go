package nf

import (
	"net/http"
	"sort"
	"strings"
)

// probeMethods are the methods a path is probed with to list the ones it allows (405).
var probeMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions,
}

// RouteNotFound answers requests that no route of mux takes, as problem+json like every
// other error of the app: 405 with an Allow header when the path is served for other
// methods, else 404. Serve registers it as mux's catch-all pattern "/", so routed requests
// never reach it (and pay nothing for it).
func RouteNotFound(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		allowed := allowedMethods(mux, r)
		status, title := http.StatusNotFound, "Not found"
		message := "no route for " + r.Method + " " + r.URL.Path
		if len(allowed) > 0 {
			status, title = http.StatusMethodNotAllowed, "Method not allowed"
			message = r.URL.Path + " answers " + strings.Join(allowed, ", ") + ", not " + r.Method
			w.Header().Set("Allow", strings.Join(allowed, ", "))
		}
		HTTPResponder{W: w}.Respond(status, map[string]string{"Content-Type": "application/problem+json"},
			&BadRequest{Title: title, Status: status, Problems: []Problem{{Pointer: "", Message: message}}})
	}
}

// allowedMethods lists the methods for which mux routes r's path somewhere else than the
// catch-all (sorted; HEAD comes with GET, as the mux serves it).
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var out []string
	for _, m := range probeMethods {
		if m == r.Method {
			continue
		}
		probe := *r
		probe.Method = m
		if _, pattern := mux.Handler(&probe); pattern != "" && pattern != "/" {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}
