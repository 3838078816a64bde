# The seed's finite-state machine without the time.sleep(1)s: `python3 fsm.py SEED` prints the
# text seed_examples_test expects from shoal::seeds::finite_state_machine(out, SEED, 0).
import asyncio, sys
from random import randint, seed
async def StartState():
    print("Start State called \n")
    input_value = randint(0, 1)
    if (input_value == 0):
        result = await State2(input_value)
    else:
        result = await State1(input_value)
    print("Resume of the Transition : \nStart State calling " + result)
async def State1(transition_value):
    outputValue =  str("State 1 with transition value = %s \n" % transition_value)
    input_value = randint(0, 1)
    print("...Evaluating...")
    if input_value == 0:
        result = await State3(input_value)
    else :
        result = await State2(input_value)
    result = "State 1 calling " + result
    return outputValue + str(result)
async def State2(transition_value):
    outputValue =  str("State 2 with transition value = %s \n" % transition_value)
    input_value = randint(0, 1)
    print("...Evaluating...")
    if (input_value == 0):
        result = await State1(input_value)
    else :
        result = await State3(input_value)
    result = "State 2 calling " + result
    return outputValue + str(result)
async def State3(transition_value):
    outputValue = str("State 3 with transition value = %s \n" % transition_value)
    input_value = randint(0, 1)
    print("...Evaluating...")
    if (input_value == 0):
        result = await State1(input_value)
    else :
        result = await EndState(input_value)
    result = "State 3 calling " + result
    return outputValue + str(result)
async def EndState(transition_value):
    outputValue = str("End State with transition value = %s \n" % transition_value)
    print("...Stop Computation...")
    return outputValue
seed(int(sys.argv[1]))
print("Finite State Machine simulation with Asyncio Coroutine")
asyncio.run(StartState())
