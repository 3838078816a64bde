# The seed's taxi simulation, run by CPython: `python3 taxi.py SEED [END_TIME]` prints the text
# seed_examples_test expects from shoal::seeds::taxi_simulation for the same seed.
import asyncio, random, sys, queue
from collections import namedtuple
Event = namedtuple('Event',[ 'time', 'proc', 'action'])
SEARCH_DURATION = 5; TRIP_DURATION = 20; DEPARTURE_INTERVAL = 5
async def taxi_process(ident, trips, start_time=0):
    time = yield Event(start_time, ident, 'leave garage')
    for i in range(trips):
        time = yield Event(time, ident, 'pick up passenger')
        time = yield Event(time, ident, 'drop off passenger')
    yield Event(time, ident, 'going home')
def compute_duration(previous_action):
    if previous_action in ['leave garage', 'drop off passenger']: interval = SEARCH_DURATION
    elif previous_action == 'pick up passenger': interval = TRIP_DURATION
    elif previous_action == 'going home': interval = 1
    else: raise ValueError('Unknown previous_action: %s' % previous_action)
    return int(random.expovariate(1/interval)) + 1
class Simulator:
    def __init__(self, procs_map):
        self.events = queue.PriorityQueue(); self.procs = dict(procs_map)
    async def run(self, end_time):
        for _, proc in sorted(self.procs.items()):
            first_event = await proc.__anext__()
            self.events.put(first_event)
        sim_time = 0
        while sim_time < end_time:
            if self.events.empty():
                print('*** end of events ***'); break
            current_event = self.events.get()
            sim_time, proc_id, previous_action = current_event
            print('taxi:', proc_id, proc_id * ' ', current_event)
            active_proc = self.procs[proc_id]
            next_time = sim_time + compute_duration(previous_action)
            try:
                next_event = await active_proc.asend(next_time)
            except StopAsyncIteration:
                del self.procs[proc_id]
            else:
                self.events.put(next_event)
        else:
            msg = '*** end of simulation time: {} events pending ***'
            print(msg.format(self.events.qsize()))
seed = int(sys.argv[1]); end = int(sys.argv[2]) if len(sys.argv) > 2 else 180
random.seed(seed)
taxis = {i: taxi_process(i, (i + 1) * 2, i * DEPARTURE_INTERVAL) for i in range(3)}
asyncio.run(Simulator(taxis).run(end))
