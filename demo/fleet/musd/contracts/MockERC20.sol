// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./AccessRoles.sol";
import "./ERC20Base.sol";

/// Stand-in for USDC (Treasury reserves) and WETH (BorrowModule collateral).
contract MockERC20 is ERC20Base, AccessRoles {
    constructor(string memory name_, string memory symbol_, uint8 decimals_)
        ERC20Base(name_, symbol_, decimals_)
    {}

    function mint(address to, uint256 amount) external onlyAdmin {
        _mint(to, amount);
    }

    function burn(address from, uint256 amount) external onlyAdmin {
        _burn(from, amount);
    }
}
