// One signer's transactions, one at a time, each with an explicit nonce and
// a gas margin.
// - The nonce is read from the node (pending count) right before each send,
//   so other code may use the same key between our transactions; a nonce
//   someone else took in the meantime ("nonce too low") is retried.
//   ethers' NonceManager is not used: it bumps its counter before
//   estimateGas, so one reverting call leaves a gap that stalls the rest.
// - ethers uses the bare estimate as gasLimit. On anvil a storage write of
//   block.timestamp can be estimated against a block whose timestamp equals
//   the stored one (a 100-gas no-op) and then mined one second later (2,900
//   gas): out of gas, status 0, no reason. Hence the 25 % margin.
import {
  type BaseContract,
  ContractFactory,
  type InterfaceAbi,
  type TransactionReceipt,
  type TransactionRequest,
  type Wallet,
  isError,
} from 'ethers';

const NONCE_RETRIES = 3;

export class TxSender {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(readonly wallet: Wallet) {}

  get address(): string {
    return this.wallet.address;
  }

  /** Calls a state-changing function and waits for a successful receipt. */
  async send(contract: BaseContract, method: string, args: unknown[] = []): Promise<TransactionReceipt> {
    const data = contract.interface.encodeFunctionData(method, args);
    return this.enqueue({ to: await contract.getAddress(), data });
  }

  /** Deploys a contract; resolves to its address. */
  async deploy(abi: InterfaceAbi, bytecode: string, args: unknown[] = []): Promise<string> {
    const request = await new ContractFactory(abi, bytecode).getDeployTransaction(...args);
    const receipt = await this.enqueue(request);
    if (!receipt.contractAddress) throw new Error('deployment receipt has no contract address');
    return receipt.contractAddress;
  }

  private enqueue(request: TransactionRequest): Promise<TransactionReceipt> {
    const run = async (): Promise<TransactionReceipt> => {
      const provider = this.wallet.provider;
      if (!provider) throw new Error('TxSender needs a wallet connected to a provider');
      // A revert surfaces here, with its reason string, before anything is sent.
      const gas = await this.wallet.estimateGas(request);
      const gasLimit = (gas * 5n) / 4n + 10_000n;
      for (let attempt = 1; ; attempt++) {
        const nonce = await provider.getTransactionCount(this.wallet.address, 'pending');
        try {
          const tx = await this.wallet.sendTransaction({ ...request, nonce, gasLimit });
          const receipt = await tx.wait();
          if (!receipt || receipt.status !== 1) throw new Error(`transaction ${tx.hash} failed`);
          return receipt;
        } catch (err) {
          if (isError(err, 'NONCE_EXPIRED') && attempt < NONCE_RETRIES) continue;
          throw err;
        }
      }
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
