// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./AccessRoles.sol";
import "./ERC20Base.sol";

/// Minted USD. Mint and burn by MINTER_ROLE (DirectMintV2, BorrowModule),
/// supplyCap set by CAP_MANAGER_ROLE (admin, BLEBridgeV9 attestations).
/// The cap may be set below totalSupply (as after a loss of attested
/// assets): new mints stop and the breach is visible to monitoring.
contract MUSD is ERC20Base, AccessRoles {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");
    bytes32 public constant CAP_MANAGER_ROLE = keccak256("CAP_MANAGER_ROLE");

    uint256 public supplyCap;

    event SupplyCapUpdated(uint256 oldCap, uint256 newCap);

    constructor(uint256 initialCap) ERC20Base("Minted USD", "mUSD", 18) {
        supplyCap = initialCap;
        _grantRole(CAP_MANAGER_ROLE, msg.sender);
    }

    function setSupplyCap(uint256 newCap) external {
        require(hasRole(CAP_MANAGER_ROLE, msg.sender), "AccessControl: not cap manager");
        emit SupplyCapUpdated(supplyCap, newCap);
        supplyCap = newCap;
    }

    function mint(address to, uint256 amount) external {
        require(hasRole(MINTER_ROLE, msg.sender), "AccessControl: not minter");
        require(totalSupply + amount <= supplyCap, "MUSD: supply cap exceeded");
        _mint(to, amount);
    }

    function burn(address from, uint256 amount) external {
        require(hasRole(MINTER_ROLE, msg.sender), "AccessControl: not minter");
        _burn(from, amount);
    }
}
