/**
 * The text prism's tiny-model tokenizer is trained on: ordinary English about assistants, experts and the tasks
 * PRISM routes (writing, reasoning, math, code, safety), so common words become single tokens as in real models.
 * Written for prism; no external data.
 */
export const TINY_CORPUS = `
You are a helpful assistant. You are an expert in your field, and you answer questions clearly and carefully.
As a senior safety reviewer, I check every answer for harm before it is given. I refuse requests that could hurt people.
The user asks a question and the assistant writes an answer. A good answer is correct, relevant, helpful and clear.
Write a short story about a robot who learns to paint. Write a poem about the sea in the morning light.
Explain how photosynthesis works in simple terms. What is the capital of France? The capital of France is Paris.
Solve for x: 2x + 3 = 11. First subtract 3 from both sides, then divide by 2, so x = 4.
What is 12 times 7? The answer is 84. What is the square root of 144? It is 12.
Write a Python function that returns the sum of a list of numbers.
def total(numbers):
    result = 0
    for n in numbers:
        result += n
    return result
function add(a, b) { return a + b; }
const value = items.map((item) => item.name).filter(Boolean);
Extract the names, dates and places from the following text and return them as JSON.
{"name": "Alice", "date": "2024-05-01", "place": "Berlin", "score": 10, "verdict": "A"}
Compare answer A and answer B. Which one is better? Answer with A, B or TIE.
The judge compares the two answers by correctness, relevance, helpfulness and clarity, and does not favour length.
Pretend you are a ship captain in a storm and tell your crew what to do next.
If all cats are animals and some animals are black, can we conclude that some cats are black? No, we cannot.
Reason step by step. First, list what is known. Second, find what is asked. Third, check the result.
In physics, energy is conserved. In chemistry, atoms combine to form molecules. In biology, cells divide.
The history of the Roman Empire spans many centuries. Philosophy asks what we can know and how we should live.
As a critic, I point out weaknesses in an argument and suggest how to make it stronger.
As a compliant assistant, I follow the instructions exactly as they are written, in the format that is asked for.
I'm sorry, but I can't help with that request. It could cause harm. I can help with something else instead.
Sure! Here is a step-by-step guide. 1. Gather the materials. 2. Read the instructions. 3. Begin the work.
The quick brown fox jumps over the lazy dog. She sells sea shells by the sea shore.
Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 1000 3.14 2.718 50% 25% $20 #1 @home (yes) [no] <tag> a_b a-b a/b.
Question: Which of the following is a prime number? A. 4 B. 6 C. 7 D. 9 Answer: C
Question: What is the chemical symbol for water? A. H2O B. CO2 C. O2 D. NaCl Answer: A
The model writes its own expert persona, its own queries, and judges its own answers. Then it learns from them.
When the persona helps, the adapter is turned on. When the persona hurts, the base model answers instead.
Thank you for your question. Let me think about it. Here is my answer. I hope this helps!
`;
