package libvirt

// The binding's GetAllDomainStats unpacks every group of every record
// through maps of field descriptors: about 5 KB of garbage per VM per
// reading, most of an idle hv's allocations on a large host. This reads
// the few counters hv shows straight from libvirt's records instead.

/*
#cgo pkg-config: libvirt
#include <stdlib.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

typedef struct {
	char uuid[VIR_UUID_STRING_BUFLEN];
	int state, state_set;
	int vcpus;
	unsigned long long cpu_time; int cpu_set;
	unsigned long long mem_cur, mem_max; int mem_set;
	unsigned long long rd, wr; int disk_set;
	unsigned long long rx, tx, rx_pkts, tx_pkts; int net_set;
} hvSample;

// hvIndexed reports whether field is prefix, a decimal index, then suffix:
// "block.3.rd.bytes" for ("block.", ".rd.bytes").
static int hvIndexed(const char *field, const char *prefix, const char *suffix) {
	size_t n = strlen(prefix);
	if (strncmp(field, prefix, n) != 0) return 0;
	const char *p = field + n;
	if (*p < '0' || *p > '9') return 0;
	while (*p >= '0' && *p <= '9') p++;
	return strcmp(p, suffix) == 0;
}

static unsigned long long hvULL(virTypedParameterPtr p) {
	switch (p->type) {
	case VIR_TYPED_PARAM_ULLONG: return p->value.ul;
	case VIR_TYPED_PARAM_LLONG: return (unsigned long long)p->value.l;
	case VIR_TYPED_PARAM_UINT: return p->value.ui;
	case VIR_TYPED_PARAM_INT: return (unsigned long long)p->value.i;
	}
	return 0;
}

static void hvRead(virDomainStatsRecordPtr r, hvSample *s) {
	memset(s, 0, sizeof *s);
	if (virDomainGetUUIDString(r->dom, s->uuid) < 0) s->uuid[0] = 0;
	for (int i = 0; i < r->nparams; i++) {
		virTypedParameterPtr p = &r->params[i];
		const char *f = p->field;
		if (strcmp(f, "state.state") == 0) { s->state = (int)hvULL(p); s->state_set = 1; }
		else if (strcmp(f, "cpu.time") == 0) { s->cpu_time = hvULL(p); s->cpu_set = 1; }
		else if (strcmp(f, "balloon.current") == 0) { s->mem_cur = hvULL(p); s->mem_set = 1; }
		else if (strcmp(f, "balloon.maximum") == 0) { s->mem_max = hvULL(p); }
		else if (hvIndexed(f, "vcpu.", ".state")) { if (hvULL(p) != VIR_VCPU_OFFLINE) s->vcpus++; }
		else if (hvIndexed(f, "block.", ".rd.bytes")) { s->rd += hvULL(p); s->disk_set = 1; }
		else if (hvIndexed(f, "block.", ".wr.bytes")) { s->wr += hvULL(p); s->disk_set = 1; }
		else if (hvIndexed(f, "net.", ".rx.bytes")) { s->rx += hvULL(p); s->net_set = 1; }
		else if (hvIndexed(f, "net.", ".tx.bytes")) { s->tx += hvULL(p); s->net_set = 1; }
		else if (hvIndexed(f, "net.", ".rx.pkts")) { s->rx_pkts += hvULL(p); }
		else if (hvIndexed(f, "net.", ".tx.pkts")) { s->tx_pkts += hvULL(p); }
	}
}

// hvAllStats reads every domain's records into *out (n of them, freed by
// hvFreeStats); on failure it returns -1 with libvirt's error, read on the
// thread that failed.
static int hvAllStats(virConnectPtr c, unsigned int groups, unsigned int flags, hvSample **out, int *code, char **msg) {
	virDomainStatsRecordPtr *recs = NULL;
	int n = virConnectGetAllDomainStats(c, groups, &recs, flags);
	if (n < 0) {
		virErrorPtr e = virGetLastError();
		*code = e ? e->code : VIR_ERR_INTERNAL_ERROR;
		*msg = strdup(e && e->message ? e->message : "unknown libvirt error");
		return -1;
	}
	*out = calloc(n > 0 ? n : 1, sizeof(hvSample));
	for (int i = 0; i < n; i++) hvRead(recs[i], &(*out)[i]);
	virDomainStatsRecordListFree(recs);
	return n;
}
*/
import "C"

import (
	"runtime"
	"time"
	"unsafe"

	lv "libvirt.org/go/libvirt"

	"github.com/hyper-nixos/hv/vm"
)

// readStats reads the counters of every VM of c: one libvirt call, one
// allocation per VM (its UUID).
func readStats(c *lv.Connect, groups lv.DomainStatsTypes, flags lv.ConnectGetAllDomainStatsFlags) ([]vm.Sample, error) {
	raw, err := c.RawPtr()
	if err != nil {
		return nil, err
	}
	defer lv.CloseRawPtr(raw)
	var (
		recs *C.hvSample
		code C.int
		msg  *C.char
	)
	runtime.LockOSThread() // libvirt's last error is per thread
	n := C.hvAllStats((C.virConnectPtr)(unsafe.Pointer(raw)), C.uint(groups), C.uint(flags), &recs, &code, &msg)
	runtime.UnlockOSThread()
	if n < 0 {
		defer C.free(unsafe.Pointer(msg))
		return nil, lv.Error{Code: lv.ErrorNumber(code), Domain: lv.FROM_DOMAIN, Message: C.GoString(msg), Level: lv.ERR_ERROR}
	}
	defer C.free(unsafe.Pointer(recs))
	now := time.Now()
	out := make([]vm.Sample, 0, int(n))
	for _, r := range unsafe.Slice(recs, int(n)) {
		if r.uuid[0] == 0 {
			continue
		}
		s := vm.Sample{UUID: C.GoString(&r.uuid[0]), At: now, VCPUs: int(r.vcpus)}
		if r.state_set != 0 {
			s.State = states[lv.DomainState(r.state)]
		}
		if r.cpu_set != 0 {
			s.Has |= vm.HasCPU
			s.CPUTimeNs = uint64(r.cpu_time)
		}
		if r.mem_set != 0 {
			s.Has |= vm.HasMemory
			s.MemoryKiB, s.MemoryMaxKiB = uint64(r.mem_cur), uint64(r.mem_max)
		}
		if r.disk_set != 0 {
			s.Has |= vm.HasDisk
			s.DiskReadBytes, s.DiskWriteBytes = uint64(r.rd), uint64(r.wr)
		}
		if r.net_set != 0 {
			s.Has |= vm.HasNet
			s.NetRxBytes, s.NetTxBytes = uint64(r.rx), uint64(r.tx)
			s.NetRxPackets, s.NetTxPackets = uint64(r.rx_pkts), uint64(r.tx_pkts)
		}
		out = append(out, s)
	}
	return out, nil
}
