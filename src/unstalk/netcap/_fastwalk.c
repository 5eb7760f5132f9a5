/*
 * The record walk of unstalk.netcap.scan, for the packets that only add to a
 * flow's counters, compiled.
 *
 * Most packets of a capture belong to flows the extractor is done with: all that
 * happens for them is that the flow's packet and byte counts, its last-seen time
 * and its burst starts change. In Python that walk costs about a microsecond per
 * packet, most of the run. walk() does exactly what _Scanner.ethernet_records does
 * for such packets (the same header checks, the same flow tables, the same
 * counter updates), and for the packets an HTTP flow still inspected skips (the
 * server's, and the client's without payload: Extractor.skim), and stops at the
 * first record it cannot finish this way,
 * leaving it untouched for the Python code. Nothing else is done here: no
 * parsing, no new flow, no error handling beyond bounds checks.
 *
 * The module is optional: without a C compiler the package installs without it
 * and scan.py walks every record in Python, with the same results.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <structmember.h>

#define MAX_FRAME 262144
#define TCP 6
#define UDP 17
#define SYN 0x02
#define UDP_MIN (8u << 16)

/* An attribute read and written through its slot, as the slot's member descriptor
 * would, when the object's type stores it in a plain slot (FlowState and Flow do);
 * through the ordinary attribute protocol otherwise. A generic look-up per field was
 * most of this module's time per packet. */
typedef struct {
    const char *text;
    PyObject *name;
    PyTypeObject *type; /* the type the offset was found for (a strong reference) */
    Py_ssize_t offset;  /* -1: not a plain slot of that type */
} Slot;

static Slot s_inspect = {"inspect", NULL, NULL, -1}, s_kind = {"kind", NULL, NULL, -1},
            s_flow = {"flow", NULL, NULL, -1}, s_last_seen = {"last_seen", NULL, NULL, -1},
            s_timestamps = {"timestamps", NULL, NULL, -1},
            s_packets = {"packets", NULL, NULL, -1}, s_bytes = {"bytes", NULL, NULL, -1};

static void resolve(Slot *slot, PyTypeObject *type)
{
    PyObject *descr;
    Py_INCREF(type);
    Py_XSETREF(slot->type, type);
    slot->offset = -1;
    if (type->tp_getattro != PyObject_GenericGetAttr ||
        type->tp_setattro != PyObject_GenericSetAttr)
        return;
    descr = PyObject_GetAttr((PyObject *)type, slot->name);
    if (descr == NULL) {
        PyErr_Clear();
        return;
    }
    if (Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
        PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
        if (member->type == T_OBJECT_EX && !(member->flags & READONLY))
            slot->offset = member->offset;
    }
    Py_DECREF(descr);
}

/* obj.<slot>, a new reference; NULL with an error set when it has none. */
static PyObject *get(PyObject *obj, Slot *slot)
{
    if (Py_TYPE(obj) != slot->type)
        resolve(slot, Py_TYPE(obj));
    if (slot->offset >= 0) {
        PyObject *value = *(PyObject **)((char *)obj + slot->offset);
        if (value != NULL)
            return Py_NewRef(value);
    }
    return PyObject_GetAttr(obj, slot->name);
}

/* obj.<slot> = value; 0, or -1 with an error set. */
static int set(PyObject *obj, Slot *slot, PyObject *value)
{
    if (Py_TYPE(obj) != slot->type)
        resolve(slot, Py_TYPE(obj));
    if (slot->offset >= 0) {
        PyObject **place = (PyObject **)((char *)obj + slot->offset);
        PyObject *old = *place;
        *place = Py_NewRef(value);
        Py_XDECREF(old);
        return 0;
    }
    return PyObject_SetAttr(obj, slot->name, value);
}

static uint32_t u32(const unsigned char *p, int big)
{
    if (big)
        return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

static unsigned u16(const unsigned char *p) { return ((unsigned)p[0] << 8) | p[1]; }

/* An Ethernet frame's flow key, length and protocol, as the Python short cut reads
 * them; 0 when the frame is not one the short cut takes. */
typedef struct {
    Py_ssize_t key_at, key_len;
    long long length;
    int proto, flags, empty; /* empty: a TCP segment without payload */
} Header;

static int read_header(const unsigned char *d, Py_ssize_t start, Py_ssize_t end, Header *h)
{
    Py_ssize_t base = start + 12;
    if (base + 40 <= end && d[base] == 0x81 && d[base + 1] == 0)
        base += 4;
    if (base + 36 <= end && d[base] == 0x08) {
        unsigned et = u16(d + base), length = u16(d + base + 4), frag = u16(d + base + 8);
        int vihl = d[base + 2], proto = d[base + 11], off = d[base + 34];
        uint32_t word = ((uint32_t)u16(d + base + 26) << 16) | u16(d + base + 28);
        long long head = 20 + ((off >> 2) & 0x3C);
        if (et != 0x0800 || vihl != 0x45 || (frag & 0x1FFF))
            return 0;
        if (!((proto == TCP && off >= 0x50 && head <= length && base + 2 + head <= end) ||
              (proto == UDP && word >= UDP_MIN && length >= 28)))
            return 0;
        h->key_at = base + 14;
        h->key_len = 12;
        h->length = length;
        h->proto = proto;
        h->flags = d[base + 35];
        h->empty = proto == TCP && (head == length || base + 2 + head == end);
        return 1;
    }
    if (base + 56 <= end && d[base] == 0x86) {
        unsigned et = u16(d + base);
        long long length = (long long)u16(d + base + 6) + 40;
        int version = d[base + 2], proto = d[base + 8], off = d[base + 54];
        uint32_t word = ((uint32_t)u16(d + base + 46) << 16) | u16(d + base + 48);
        long long head = 40 + ((off >> 2) & 0x3C);
        if (et != 0x86DD || (version >> 4) != 6)
            return 0;
        if (!((proto == TCP && off >= 0x50 && head <= length && base + 2 + head <= end) ||
              (proto == UDP && word >= UDP_MIN && length >= 48)))
            return 0;
        h->key_at = base + 10;
        h->key_len = 36;
        h->length = length;
        h->proto = proto;
        h->flags = d[base + 55];
        h->empty = proto == TCP && (head == length || base + 2 + head == end);
        return 1;
    }
    return 0;
}

/* Whether an HTTP flow still inspected has nothing to read in this packet: 1 yes,
 * 0 no, -1 error. HTTP is read on the client's side only. */
static int http_skips(PyObject *state, int from_client, Header *h, long http)
{
    PyObject *kind = get(state, &s_kind);
    long value;
    if (kind == NULL)
        return -1;
    value = PyLong_Check(kind) ? PyLong_AsLong(kind) : -1;
    Py_DECREF(kind);
    if (value == -1 && PyErr_Occurred())
        return -1;
    return value == http && (!from_client || h->empty);
}

/* The flow of a packet that only adds to its counters, a new reference; NULL (no
 * error set) when the packet needs the Python code, NULL with an error on failure. */
static PyObject *counted_flow(PyObject *tcp, PyObject *udp, const unsigned char *d, Header *h,
                              long http)
{
    PyObject *key, *entry, *state, *inspect, *flow;
    if (h->proto == TCP && (h->flags & SYN))
        return NULL;
    key = PyBytes_FromStringAndSize((const char *)d + h->key_at, h->key_len);
    if (key == NULL)
        return NULL;
    entry = PyDict_GetItemWithError(h->proto == TCP ? tcp : udp, key);
    Py_DECREF(key);
    if (entry == NULL || !PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 2)
        return NULL;
    /* Held while read: a class other than FlowState may run Python code on access. */
    Py_INCREF(entry);
    state = PyTuple_GET_ITEM(entry, 0);
    inspect = get(state, &s_inspect);
    flow = NULL;
    if (inspect != NULL) {
        int counted = inspect == Py_False;
        Py_DECREF(inspect);
        if (!counted) {
            int from_client = PyObject_IsTrue(PyTuple_GET_ITEM(entry, 1));
            counted = from_client >= 0 && http_skips(state, from_client, h, http) > 0;
        }
        if (counted)
            flow = get(state, &s_flow);
    }
    Py_DECREF(entry);
    return flow;
}

static int add_to(PyObject *flow, Slot *slot, long long amount)
{
    PyObject *value = get(flow, slot), *sum;
    long long now;
    int failed;
    if (value == NULL)
        return -1;
    now = PyLong_AsLongLong(value);
    Py_DECREF(value);
    if (now == -1 && PyErr_Occurred())
        return -1;
    sum = PyLong_FromLongLong(now + amount);
    if (sum == NULL)
        return -1;
    failed = set(flow, slot, sum);
    Py_DECREF(sum);
    return failed;
}

/* Counters of one packet, as Extractor.add and the Python short cut update them. */
static int count(PyObject *flow, double ts, long long length, double gap, Py_ssize_t max_bursts)
{
    PyObject *value = get(flow, &s_last_seen);
    double seen;
    if (value == NULL)
        return -1;
    seen = PyFloat_AsDouble(value);
    Py_DECREF(value);
    if (seen == -1.0 && PyErr_Occurred())
        return -1;
    if (ts > seen) {
        PyObject *now = PyFloat_FromDouble(ts);
        int failed;
        if (now == NULL)
            return -1;
        if (ts - seen > gap) {
            PyObject *bursts = get(flow, &s_timestamps);
            if (bursts == NULL || !PyList_Check(bursts)) {
                Py_XDECREF(bursts);
                Py_DECREF(now);
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_TypeError, "a flow's timestamps must be a list");
                return -1;
            }
            failed = PyList_GET_SIZE(bursts) < max_bursts ? PyList_Append(bursts, now) : 0;
            Py_DECREF(bursts);
            if (failed) {
                Py_DECREF(now);
                return -1;
            }
        }
        failed = set(flow, &s_last_seen, now);
        Py_DECREF(now);
        if (failed)
            return -1;
    }
    if (add_to(flow, &s_packets, 1) || add_to(flow, &s_bytes, length))
        return -1;
    return 0;
}

/* What every frame is checked against: the flow tables, the constants of the Python
 * code, and which flows this reader takes (see unstalk.netcap.scan.Share). */
typedef struct {
    PyObject *tcp, *udp;
    double gap;
    Py_ssize_t max_bursts;
    long http, index, count;
} Walk;

/* One frame data[start:stop] at time ``when``: 1 taken (counted, or another reader's
 * flow), 0 left to Python, -1 error. */
static int take(const unsigned char *d, Py_ssize_t start, Py_ssize_t stop, double when,
                const Walk *w)
{
    Header h;
    PyObject *flow;
    int failed;
    if (!read_header(d, start, stop, &h))
        return 0;
    if (w->count > 1) {
        /* the low bytes of the two ports, as share_of() combines them */
        const unsigned char *ports = d + h.key_at + h.key_len - 4;
        if ((long)(ports[1] ^ ports[3]) % w->count != w->index)
            return 1;
    }
    flow = counted_flow(w->tcp, w->udp, d, &h, w->http);
    if (flow == NULL)
        return PyErr_Occurred() ? -1 : 0;
    failed = count(flow, when, h.length, w->gap, w->max_bursts);
    Py_DECREF(flow);
    return failed ? -1 : 1;
}

PyDoc_STRVAR(walk_doc,
    "walk(data, pos, end, header_size, big_endian, scale, tcp, udp, number, timestamp,\n"
    "     partial, burst_gap, max_bursts, http, index, count)\n"
    "     -> (pos, number, timestamp, partial)\n\n"
    "Walk the classic pcap records of Ethernet frames in data[pos:end] while each one\n"
    "only adds to the counters of a flow found in ``tcp`` or ``udp`` (raw key to\n"
    "(state, from_client)) whose state no longer inspects, or whose state is of kind\n"
    "``http`` and skips the packet; packets of flows that fall to another reader than\n"
    "``index`` of ``count`` are passed over. Returns where the first\n"
    "record left to the caller starts, the number and time of the last frame walked\n"
    "and ``partial`` plus the number of walked frames captured in part.");

static PyObject *walk(PyObject *self, PyObject *args)
{
    Py_buffer view;
    Py_ssize_t pos, end, size, partial;
    int big;
    long long number;
    double scale, ts;
    Walk w;
    const unsigned char *d;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*nnnpdO!O!Ldndnlll", &view, &pos, &end, &size, &big, &scale,
                          &PyDict_Type, &w.tcp, &PyDict_Type, &w.udp, &number, &ts, &partial,
                          &w.gap, &w.max_bursts, &w.http, &w.index, &w.count))
        return NULL;
    d = (const unsigned char *)view.buf;
    if (end > view.len)
        end = view.len;
    if (size < 16 || pos < 0 || scale <= 0 || w.count < 1 || w.index < 0 || w.index >= w.count) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "not a classic pcap record layout");
        return NULL;
    }
    while (pos + size <= end) {
        uint32_t sec = u32(d + pos, big), frac = u32(d + pos + 4, big);
        uint32_t caplen = u32(d + pos + 8, big), orig = u32(d + pos + 12, big);
        Py_ssize_t start = pos + size, stop = start + (Py_ssize_t)caplen;
        double when = (double)sec + (double)frac / scale;
        int taken;
        if (caplen > MAX_FRAME || stop > end)
            break;
        taken = take(d, start, stop, when, &w);
        if (taken < 0) {
            PyBuffer_Release(&view);
            return NULL;
        }
        if (!taken)
            break;
        pos = stop;
        number += 1;
        ts = when;
        partial += orig > caplen;
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("nLdn", pos, number, ts, partial);
}

#define MAX_CLOCKS 64
#define EXACT (1ULL << 53) /* integers up to this convert to double exactly */

/* An interface's clock, when its Ethernet frames' times can be computed here exactly
 * as Python computes them: ticks / divisor + offset. When ticks and divisor are exact
 * in a double, one double division is rounded once, as Python's integer true division
 * is; otherwise (nanosecond clocks) Python's own integer division is called. */
typedef struct {
    int usable;
    double divisor, offset;
    PyObject *divisor_int; /* a reference held until release_clocks() */
} Clock;

/* A frame's time, or -1.0 with an error set. */
static double clock_time(const Clock *clock, unsigned long long ticks)
{
    PyObject *numerator, *quotient;
    double value;
    if (ticks <= EXACT && clock->divisor > 0)
        return (double)ticks / clock->divisor + clock->offset;
    numerator = PyLong_FromUnsignedLongLong(ticks);
    if (numerator == NULL)
        return -1.0;
    quotient = PyNumber_TrueDivide(numerator, clock->divisor_int);
    Py_DECREF(numerator);
    if (quotient == NULL)
        return -1.0;
    value = PyFloat_AsDouble(quotient);
    Py_DECREF(quotient);
    return value + clock->offset;
}

/* A Python int as a long long; 0 when it is not one or does not fit. */
static int small_int(PyObject *value, long long *out)
{
    int overflow = 0;
    if (!PyLong_Check(value))
        return 0;
    *out = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow || (*out == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return 0;
    }
    return 1;
}

/* The first MAX_CLOCKS interfaces' clocks; an interface of another link type, or
 * whose clock cannot be computed exactly here, is marked unusable. */
static PyObject *zero;

static Py_ssize_t read_clocks(PyObject *clocks, Clock *out)
{
    Py_ssize_t i, n = PyList_GET_SIZE(clocks);
    if (n > MAX_CLOCKS)
        n = MAX_CLOCKS;
    for (i = 0; i < n; i++) {
        PyObject *clock = PyList_GET_ITEM(clocks, i);
        long long link, divisor, offset;
        out[i].divisor_int = NULL;
        out[i].usable = PyTuple_Check(clock) && PyTuple_GET_SIZE(clock) == 3 &&
                        small_int(PyTuple_GET_ITEM(clock, 0), &link) &&
                        small_int(PyTuple_GET_ITEM(clock, 2), &offset) && link == 1 &&
                        offset <= (long long)EXACT && offset >= -(long long)EXACT &&
                        PyLong_Check(PyTuple_GET_ITEM(clock, 1)) &&
                        PyObject_RichCompareBool(PyTuple_GET_ITEM(clock, 1), zero, Py_GT) == 1;
        PyErr_Clear();
        if (out[i].usable) {
            out[i].divisor_int = Py_NewRef(PyTuple_GET_ITEM(clock, 1));
            out[i].divisor = small_int(out[i].divisor_int, &divisor) &&
                                     (unsigned long long)divisor <= EXACT
                                 ? (double)divisor
                                 : 0.0; /* 0: divide in Python */
            out[i].offset = (double)offset;
        }
    }
    return n;
}

static void release_clocks(Clock *clocks, Py_ssize_t count)
{
    Py_ssize_t i;
    for (i = 0; i < count; i++)
        Py_CLEAR(clocks[i].divisor_int);
}

PyDoc_STRVAR(walk_pcapng_doc,
    "walk_pcapng(data, pos, end, big_endian, clocks, tcp, udp, number, timestamp, partial,\n"
    "            burst_gap, max_bursts, http, max_block, index, count)\n"
    "            -> (pos, number, timestamp, partial)\n\n"
    "The same as walk() for the pcapng enhanced packet blocks of one section, from\n"
    "``pos``: ``clocks`` lists each interface's (link type, divisor, offset). Stops,\n"
    "untouched, at the first block that is not a whole enhanced packet block of an\n"
    "Ethernet interface whose packet only adds to a flow's counters.");

static PyObject *walk_pcapng(PyObject *self, PyObject *args)
{
    Py_buffer view;
    Py_ssize_t pos, end, partial, max_block, nclocks;
    int big;
    long long number;
    double ts;
    PyObject *clocks;
    Walk w;
    Clock clock[MAX_CLOCKS];
    const unsigned char *d;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*nnpO!O!O!Ldndnlnll", &view, &pos, &end, &big, &PyList_Type,
                          &clocks, &PyDict_Type, &w.tcp, &PyDict_Type, &w.udp, &number, &ts,
                          &partial, &w.gap, &w.max_bursts, &w.http, &max_block, &w.index,
                          &w.count))
        return NULL;
    d = (const unsigned char *)view.buf;
    if (end > view.len)
        end = view.len;
    if (pos < 0 || w.count < 1 || w.index < 0 || w.index >= w.count) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "a negative position, or no such reader");
        return NULL;
    }
    nclocks = read_clocks(clocks, clock);
    while (pos + 32 <= end) {
        uint32_t type = u32(d + pos, big), length = u32(d + pos + 4, big);
        uint32_t if_id, high, low, caplen, orig;
        unsigned long long ticks;
        double when;
        int taken;
        if (type != 6 || length < 32 || length % 4 || length > max_block ||
            pos + (Py_ssize_t)length > end || u32(d + pos + length - 4, big) != length)
            break;
        if_id = u32(d + pos + 8, big);
        high = u32(d + pos + 12, big);
        low = u32(d + pos + 16, big);
        caplen = u32(d + pos + 20, big);
        orig = u32(d + pos + 24, big);
        ticks = ((unsigned long long)high << 32) | low;
        if (if_id >= nclocks || !clock[if_id].usable || caplen > length - 32 ||
            caplen > MAX_FRAME)
            break;
        when = clock_time(&clock[if_id], ticks);
        if (when == -1.0 && PyErr_Occurred()) {
            release_clocks(clock, nclocks);
            PyBuffer_Release(&view);
            return NULL;
        }
        taken = take(d, pos + 28, pos + 28 + caplen, when, &w);
        if (taken < 0) {
            release_clocks(clock, nclocks);
            PyBuffer_Release(&view);
            return NULL;
        }
        if (!taken)
            break;
        pos += length;
        number += 1;
        ts = when;
        partial += orig > caplen;
    }
    release_clocks(clock, nclocks);
    PyBuffer_Release(&view);
    return Py_BuildValue("nLdn", pos, number, ts, partial);
}

static PyMethodDef methods[] = {
    {"walk", walk, METH_VARARGS, walk_doc},
    {"walk_pcapng", walk_pcapng, METH_VARARGS, walk_pcapng_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "_fastwalk",
    "The pcap record walk of unstalk.netcap.scan for packets that only add to counters.",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__fastwalk(void)
{
    Slot *all[] = {&s_inspect,    &s_kind,    &s_flow, &s_last_seen,
                   &s_timestamps, &s_packets, &s_bytes};
    size_t i;
    zero = PyLong_FromLong(0);
    if (zero == NULL)
        return NULL;
    for (i = 0; i < sizeof all / sizeof all[0]; i++) {
        all[i]->name = PyUnicode_InternFromString(all[i]->text);
        if (all[i]->name == NULL)
            return NULL;
    }
    return PyModule_Create(&module);
}
