/*
 * nxflow's libca event queue (built and loaded by ca_queue.ts; ca_client.ts says why it exists).
 *
 * libca calls nxq_event and nxq_connection on its own threads. They copy the event into one growing buffer under a
 * mutex and return at once; the JS thread takes everything queued with nxq_drain every few milliseconds while events
 * flow, and otherwise waits for the next one in nxq_wait (a nonblocking FFI call: on a thread of Deno's pool). No JS
 * runs on libca's threads, so no update waits for the JS event loop.
 *
 The records are the frames of ca_frames.ts: little-endian, each a u32 length of what follows, a u8 kind and the
 * u32 id the channel was created with (its user pointer, ca_puser), then:
 *   1 connection: u8 connected
 *   2 update:     u8 type index (DBR_TIME_<type> - 14), u8 0, u32 element count, then the dbr_time_<type> struct as
 *                 libca delivered it (status, severity, EPICS time, padding, the values)
 *
 * When the buffer holds NXQ_LIMIT bytes, a libca thread waits up to NXQ_WAIT_MS for the JS thread to drain (TCP
 * back-pressure: the IOC then keeps only each PV's latest value), then drops the event and counts it. The wait is
 * bounded because the JS thread may itself be waiting for this callback to return (ca_clear_channel does).
 *
 * Built with: cc -O2 -shared -fPIC -o libnxflow_ca_queue.so ca_queue.c -l:libca.so.4.13.5 -lpthread. It needs no
 * EPICS headers: the two argument structs libca passes by value and ca_puser are declared here as in cadef.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* cadef.h's struct event_handler_args and struct connection_handler_args. */
struct nxq_event_args {
  void *usr;
  void *chid;
  long type;
  long count;
  const void *dbr;
  int status;
};
struct nxq_connection_args {
  void *chid;
  long op;
};

/* cadef.h: void *ca_puser(chid) (epicsStdCall is empty on Linux). */
extern void *ca_puser(void *chid);

#define NXQ_LIMIT (64u << 20)
#define NXQ_WAIT_MS 200
#define ECA_NORMAL 1
#define DBR_TIME_STRING 14
#define CA_OP_CONN_UP 6

/* offset of the value in dbr_time_<type> and the element size, by type index (string .. double). */
static const size_t VALUE_AT[7] = {12, 14, 12, 14, 15, 12, 16};
static const size_t ELEMENT[7] = {40, 2, 4, 2, 1, 4, 8};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t room = PTHREAD_COND_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static int waiting;
static int woken;
static uint8_t *queue;
static size_t capacity;
static size_t used;
static uint64_t dropped;

/* An absolute CLOCK_REALTIME time ms from now. */
static struct timespec after(long ms) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  t.tv_sec += ms / 1000;
  t.tv_nsec += (ms % 1000) * 1000000L;
  t.tv_sec += t.tv_nsec / 1000000000L;
  t.tv_nsec %= 1000000000L;
  return t;
}

/* Appends a record (head and body) to the queue; waits for room or drops, see above. */
static void append(const uint8_t *head, size_t headBytes, const void *body, size_t bodyBytes) {
  size_t bytes = headBytes + bodyBytes;
  pthread_mutex_lock(&lock);
  if (used > 0 && used + bytes > NXQ_LIMIT) {
    struct timespec until = after(NXQ_WAIT_MS);
    while (used > 0 && used + bytes > NXQ_LIMIT) {
      if (pthread_cond_timedwait(&room, &lock, &until) == ETIMEDOUT) break;
    }
  }
  if (used > 0 && used + bytes > NXQ_LIMIT) {
    dropped++;
    pthread_mutex_unlock(&lock);
    return;
  }
  if (used + bytes > capacity) {
    size_t grown = capacity ? capacity : 1u << 16;
    while (used + bytes > grown) grown *= 2;
    uint8_t *moved = realloc(queue, grown);
    if (!moved) {
      dropped++;
      pthread_mutex_unlock(&lock);
      return;
    }
    queue = moved;
    capacity = grown;
  }
  memcpy(queue + used, head, headBytes);
  if (bodyBytes) memcpy(queue + used + headBytes, body, bodyBytes);
  used += bytes;
  if (waiting) pthread_cond_signal(&more);
  pthread_mutex_unlock(&lock);
}

static void put32(uint8_t *at, uint32_t v) { memcpy(at, &v, 4); }

/* libca's caEventCallBackFunc for subscriptions of DBR_TIME_<type>. */
void nxq_event(struct nxq_event_args args) {
  long type = args.type - DBR_TIME_STRING;
  if (args.status != ECA_NORMAL || !args.dbr || type < 0 || type > 6 || args.count < 0) return;
  size_t bodyBytes = VALUE_AT[type] + (size_t)(args.count > 0 ? args.count : 1) * ELEMENT[type];
  uint8_t head[15];
  put32(head, (uint32_t)(11 + bodyBytes));
  head[4] = 2;
  put32(head + 5, (uint32_t)(uintptr_t)args.usr);
  head[9] = (uint8_t)type;
  head[10] = 0;
  put32(head + 11, (uint32_t)args.count);
  append(head, sizeof head, args.dbr, bodyBytes);
}

/* libca's caCh connection callback, for channels created with their id as user pointer. */
void nxq_connection(struct nxq_connection_args args) {
  uint8_t head[10];
  put32(head, 6);
  head[4] = 1;
  put32(head + 5, (uint32_t)(uintptr_t)ca_puser(args.chid));
  head[9] = args.op == CA_OP_CONN_UP;
  append(head, sizeof head, NULL, 0);
}

/* The callbacks' addresses, to hand to ca_create_channel and ca_create_subscription. */
void *nxq_event_callback(void) { return (void *)nxq_event; }
void *nxq_connection_callback(void) { return (void *)nxq_connection; }

/* Bytes queued now. */
size_t nxq_pending(void) {
  pthread_mutex_lock(&lock);
  size_t n = used;
  pthread_mutex_unlock(&lock);
  return n;
}

/* Waits up to ms for an event, or for nxq_wake; returns the bytes queued (0: none came). */
size_t nxq_wait(int ms) {
  struct timespec until = after(ms);
  pthread_mutex_lock(&lock);
  waiting = 1;
  while (!used && !woken) {
    if (pthread_cond_timedwait(&more, &lock, &until) == ETIMEDOUT) break;
  }
  waiting = 0;
  woken = 0;
  size_t n = used;
  pthread_mutex_unlock(&lock);
  return n;
}

/* Ends the current or next nxq_wait at once. */
void nxq_wake(void) {
  pthread_mutex_lock(&lock);
  woken = 1;
  pthread_cond_signal(&more);
  pthread_mutex_unlock(&lock);
}

/* Moves the queued records that fit whole into out (max bytes) and returns their size. */
size_t nxq_drain(uint8_t *out, size_t max) {
  pthread_mutex_lock(&lock);
  size_t n = 0;
  while (n + 4 <= used) {
    uint32_t length;
    memcpy(&length, queue + n, 4);
    if (n + 4 + length > max) break;
    n += 4 + length;
  }
  memcpy(out, queue, n);
  memmove(queue, queue + n, used - n);
  used -= n;
  pthread_cond_broadcast(&room);
  pthread_mutex_unlock(&lock);
  return n;
}

/* Events dropped so far because the queue stayed full. */
uint64_t nxq_dropped(void) {
  pthread_mutex_lock(&lock);
  uint64_t n = dropped;
  pthread_mutex_unlock(&lock);
  return n;
}
